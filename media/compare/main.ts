import uPlot from 'uplot';
import type { ChartSeries, FromCompareView, ToCompareView } from '../../src/tracking/protocol';
import { smooth } from '../../src/tracking/smoothing';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

// Metric curves of the selected runs overlaid (uPlot), step / wall time / relative time on x,
// TensorBoard-style smoothing, log scale, values on hover (uPlot's legend), theme colours;
// and the params of the runs side by side with the differences marked.

type XMode = 'step' | 'time' | 'relative';
type Data = Extract<ToCompareView, { type: 'data' }>;

const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-red', '--vscode-charts-purple', '--vscode-charts-yellow'];
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700', '#4ec9b0', '#ce9178', '#9cdcfe', '#c586c0'];

const root = document.getElementById('root')!;
const state = { x: 'step' as XMode, smoothing: 0, log: false, onlyDiffs: true, selected: new Set<string>() };
let data: Data | undefined;
const plots: uPlot[] = [];

const xSelect = element('select', { attrs: { 'aria-label': 'X axis' } }, [
  element('option', { text: 'Step', attrs: { value: 'step' } }),
  element('option', { text: 'Wall time', attrs: { value: 'time' } }),
  element('option', { text: 'Relative time', attrs: { value: 'relative' } }),
]);
const smoothing = element('input', { attrs: { type: 'range', min: '0', max: '0.99', step: '0.01', value: '0', 'aria-label': 'Smoothing' } });
const smoothingValue = element('span', { className: 'value', text: '0' });
const logBox = element('input', { attrs: { type: 'checkbox', 'aria-label': 'Log scale' } });
const diffBox = element('input', { attrs: { type: 'checkbox', 'aria-label': 'Only params that differ', checked: '' } });
const runsLegend = element('ul', { className: 'runs', attrs: { 'aria-label': 'Runs' } });
const metricChips = element('div', { className: 'metrics', attrs: { role: 'group', 'aria-label': 'Metrics' } });
const charts = element('div', { className: 'charts' });
const problems = element('p', { className: 'problem', attrs: { hidden: '' } });
const paramsTable = element('table', { className: 'params', attrs: { 'aria-label': 'Params' } });
root.append(
  element('div', { className: 'toolbar' }, [
    element('label', { text: 'X ' }, [xSelect]),
    element('label', { text: 'Smoothing ' }, [smoothing, smoothingValue]),
    element('label', {}, [logBox, document.createTextNode(' Log scale')]),
  ]),
  runsLegend,
  metricChips,
  problems,
  charts,
  element('h2', { text: 'Params' }),
  element('label', {}, [diffBox, document.createTextNode(' Only params that differ')]),
  paramsTable,
);

function color(index: number): string {
  const fromTheme = index < PALETTE.length ? getComputedStyle(document.body).getPropertyValue(PALETTE[index]!).trim() : '';
  return fromTheme || FALLBACK[index % FALLBACK.length]!;
}

function xOf(series: ChartSeries): number[] | undefined {
  if (state.x === 'step') return [...series.steps];
  if (series.times.some((t) => t === null)) return undefined;
  const times = series.times as number[];
  return state.x === 'time' ? times : times.map((t) => t - times[0]!);
}

function render(): void {
  if (!data) return;
  for (const plot of plots.splice(0)) plot.destroy();
  charts.replaceChildren();
  const axis = getComputedStyle(document.body).getPropertyValue('--vscode-descriptionForeground').trim() || '#888';
  const grid = getComputedStyle(document.body).getPropertyValue('--vscode-editorWidget-border').trim() || 'rgba(128,128,128,0.2)';
  const notes: string[] = [...data.problems];
  for (const metric of data.metrics.filter((m) => state.selected.has(m))) {
    const series = data.series.filter((s) => s.metric === metric);
    const aligned: uPlot.AlignedData[] = [];
    const used: ChartSeries[] = [];
    for (const s of series) {
      const x = xOf(s);
      if (!x) {
        notes.push(`${data.runs[s.run]!.name}: ${metric} has no times; shown by step only`);
        continue;
      }
      const y = smooth(s.values, state.smoothing).map((v) => (v !== null && state.log && v <= 0 ? null : v));
      aligned.push([x, y] as unknown as uPlot.AlignedData);
      used.push(s);
      if (s.total > s.steps.length) notes.push(`${data.runs[s.run]!.name}: ${metric} drawn from ${s.steps.length} of ${s.total} points (min/max kept)`);
    }
    const holder = element('section', { className: 'chart', attrs: { 'aria-label': `Chart ${metric}`, 'data-metric': metric, 'data-series': String(used.length) } }, [element('h3', { text: metric })]);
    charts.append(holder);
    if (used.length === 0) continue;
    const joined = uPlot.join(aligned);
    const plot = new uPlot(
      {
        width: Math.max(300, holder.clientWidth || 600),
        height: 260,
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: state.x === 'time' }, y: state.log ? { distr: 3 } : {} },
        axes: [
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 60 },
        ],
        series: [
          { label: state.x === 'step' ? 'step' : state.x === 'time' ? 'time' : 'seconds' },
          ...used.map((s) => ({ label: data!.runs[s.run]!.name, stroke: color(s.run), width: 2, spanGaps: true, points: { show: false } })),
        ],
      },
      joined,
      holder,
    );
    plots.push(plot);
  }
  problems.toggleAttribute('hidden', notes.length === 0);
  problems.textContent = [...new Set(notes)].join(' · ');
  renderParams();
}

function renderParams(): void {
  if (!data) return;
  const rows = data.params.filter((p) => p.differs || !state.onlyDiffs);
  const head = element('tr', {}, [element('th', { text: 'param' }), ...data.runs.map((r, i) => element('th', {}, [colorDot(i), document.createTextNode(r.name)]))]);
  const body = rows.map((p) => element('tr', { className: p.differs ? 'differs' : '' }, [element('td', { text: p.key }), ...p.values.map((v) => element('td', { text: v ?? '—', className: v === null ? 'unset' : '' }))]));
  paramsTable.replaceChildren(element('thead', {}, [head]), element('tbody', {}, rows.length ? body : [element('tr', {}, [element('td', { text: state.onlyDiffs ? 'No params differ.' : 'No params.' })])]));
}

function colorDot(index: number): HTMLElement {
  return element('span', { className: `dot c${index % FALLBACK.length}` });
}

function renderControls(): void {
  if (!data) return;
  runsLegend.replaceChildren(...data.runs.map((r, i) => element('li', { className: `run c${i % FALLBACK.length}` }, [colorDot(i), document.createTextNode(`${r.name}`), element('span', { className: 'muted', text: ` ${r.source} · ${r.experiment} · ${r.status}` })])));
  metricChips.replaceChildren(
    ...data.metrics.map((m) => {
      const box = element('input', { attrs: { type: 'checkbox', value: m, ...(state.selected.has(m) ? { checked: '' } : {}) } });
      box.addEventListener('change', () => {
        if (box.checked) state.selected.add(m);
        else state.selected.delete(m);
        render();
      });
      return element('label', { className: 'chip' }, [box, document.createTextNode(` ${m}`)]);
    }),
  );
}

xSelect.addEventListener('change', () => {
  state.x = xSelect.value as XMode;
  render();
});
smoothing.addEventListener('input', () => {
  state.smoothing = Number(smoothing.value);
  smoothingValue.textContent = smoothing.value;
  render();
});
logBox.addEventListener('change', () => {
  state.log = logBox.checked;
  render();
});
diffBox.addEventListener('change', () => {
  state.onlyDiffs = diffBox.checked;
  renderParams();
});
window.addEventListener('resize', () => {
  for (const plot of plots) plot.setSize({ width: Math.max(300, plot.root.parentElement?.clientWidth ?? 600), height: 260 });
});

onHostMessage<ToCompareView>((message) => {
  if (message.type !== 'data') return;
  const first = data === undefined;
  data = message;
  if (first) state.selected = new Set(message.selected);
  // Keep the person's choice of metrics across live updates; add metrics that are new.
  for (const m of message.selected) if (!message.metrics.includes(m)) state.selected.delete(m);
  renderControls();
  render();
});
postToHost<FromCompareView>({ type: 'ready' });
