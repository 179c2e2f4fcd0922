import uPlot from 'uplot';
import type { ChartSeries, CurveStop, FromCompareView, SummaryCell, ToCompareView } from '../../src/tracking/protocol';
import { formatMetric } from '../../src/tracking/runQuery';
import { smooth } from '../../src/tracking/smoothing';
import { STEP_INCREMENTS, stepLabel } from '../../src/tracking/stepTicks';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

// Metric curves of the selected runs overlaid (uPlot), step / wall time / relative time on x,
// TensorBoard-style smoothing, log scale, values on hover (uPlot's legend), theme colours;
// a summary of each metric's last and best value per run; where a curve stops at a NaN or an
// infinity, a mark on the chart and a note under it; the params of the runs side by side with
// the cells that differ marked.

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
const paramsHeading = element('h2', { text: 'Params' });
const diffLabel = element('label', {}, [diffBox, document.createTextNode(' Only params that differ')]);
const summaryTable = element('table', { className: 'summary', attrs: { 'aria-label': 'Summary' } });
const summaryHow = element('p', {
  className: 'muted how',
  text: 'Best is the lowest value for metrics named like a loss or error (loss, err, mse, mae, nll, perplexity, wer, latency, time), the highest for those named like a score (acc, f1, auc, precision, recall, map, bleu, rouge, iou, dice, score, reward); other metrics (epoch, lr) have no best. The best run is marked ★.',
});
root.append(
  element('div', { className: 'toolbar' }, [
    element('label', { text: 'X ' }, [xSelect]),
    element('label', { text: 'Smoothing ' }, [smoothing, smoothingValue]),
    element('label', {}, [logBox, document.createTextNode(' Log scale')]),
  ]),
  runsLegend,
  element('details', { className: 'summary-section', attrs: { open: '' } }, [element('summary', { text: 'Summary' }), summaryHow, summaryTable]),
  metricChips,
  problems,
  charts,
  paramsHeading,
  diffLabel,
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

/** Where a point is on the x axis in the current mode (undefined without a time). */
function xAt(series: ChartSeries, point: { step: number; time: number | null }): number | undefined {
  if (state.x === 'step') return point.step;
  if (point.time === null) return undefined;
  const t0 = series.times[0];
  return state.x === 'time' ? point.time : t0 === null || t0 === undefined ? undefined : point.time - t0;
}

function stopText(stop: CurveStop): string {
  const before = stop.lastFinite ? `; last finite value ${formatMetric(stop.lastFinite.value)} at step ${stop.lastFinite.step}` : '';
  return `${stop.value} at step ${stop.step}${before}`;
}

/** Marks where each curve stops at a NaN or an infinity: a dashed line there and a cross on its last finite point. */
function stopsPlugin(used: readonly ChartSeries[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        used.forEach((s) => {
          if (!s.stop) return;
          const x = xAt(s, s.stop);
          if (x === undefined) return;
          const px = u.valToPos(x, 'x', true);
          ctx.save();
          ctx.strokeStyle = color(s.run);
          ctx.fillStyle = color(s.run);
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.beginPath();
          ctx.moveTo(px, top);
          ctx.lineTo(px, top + height);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.font = `${11 * devicePixelRatio}px sans-serif`;
          // The label beside the line, on its left where the line is at the chart's right edge.
          const label = s.stop.value;
          const gap = 4 * devicePixelRatio;
          const room = u.bbox.left + u.bbox.width - px - gap;
          ctx.fillText(label, room >= ctx.measureText(label).width ? px + gap : px - gap - ctx.measureText(label).width, top + 12 * devicePixelRatio);
          const last = s.stop.lastFinite;
          const lx = last ? xAt(s, last) : undefined;
          if (last && lx !== undefined && (!state.log || last.value > 0)) {
            const cx = u.valToPos(lx, 'x', true);
            const cy = u.valToPos(last.value, 'y', true);
            const r = 5 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(cx - r, cy - r);
            ctx.lineTo(cx + r, cy + r);
            ctx.moveTo(cx + r, cy - r);
            ctx.lineTo(cx - r, cy + r);
            ctx.stroke();
          }
          ctx.restore();
        });
      },
    },
  };
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
    const stopped = used.filter((s) => s.stop);
    const holder = element('section', { className: 'chart', attrs: { 'aria-label': `Chart ${metric}`, 'data-metric': metric, 'data-series': String(used.length), 'data-stops': String(stopped.length) } }, [element('h3', { text: metric })]);
    charts.append(holder);
    if (used.length === 0) continue;
    const joined = uPlot.join(aligned);
    const stepAxis = state.x === 'step';
    const plot = new uPlot(
      {
        width: Math.max(300, holder.clientWidth || 600),
        height: 260,
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: state.x === 'time' }, y: state.log ? { distr: 3 } : {} },
        axes: [
          {
            stroke: axis,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            // Steps are whole numbers: never a tick at 0.5.
            ...(stepAxis
              ? {
                  incrs: [...STEP_INCREMENTS],
                  values: (_u: uPlot, splits: number[]) => {
                    holder.dataset.xTicks = splits.join(',');
                    return splits.map(stepLabel);
                  },
                }
              : {}),
          },
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 60 },
        ],
        series: [
          { label: stepAxis ? 'step' : state.x === 'time' ? 'time' : 'seconds', ...(stepAxis ? { value: (_u: uPlot, v: number | null) => (v === null ? '–' : stepLabel(v)) } : {}) },
          ...used.map((s) => ({ label: data!.runs[s.run]!.name, stroke: color(s.run), width: 2, spanGaps: true, points: { show: false } })),
        ],
        plugins: [stopsPlugin(used)],
      },
      joined,
      holder,
    );
    plots.push(plot);
    if (stopped.length > 0) {
      holder.append(
        element(
          'ul',
          { className: 'stops', attrs: { 'aria-label': `Where ${metric} stops` } },
          stopped.map((s) => element('li', {}, [colorDot(s.run), document.createTextNode(`${data!.runs[s.run]!.name} stops: ${stopText(s.stop!)}`)])),
        ),
      );
    }
  }
  problems.toggleAttribute('hidden', notes.length === 0);
  problems.textContent = [...new Set(notes)].join(' · ');
  renderSummary();
  renderParams();
}

function summaryValue(value: number | null, step: number | null, stop: CurveStop | null, which: 'last' | 'best'): Node[] {
  if (which === 'last' && value === null && stop) return [element('span', { className: 'stopped', text: `${stop.value}` }), element('span', { className: 'step', text: ` @${stop.step}` })];
  if (value === null) return [element('span', { className: 'unset', text: '–' })];
  return [document.createTextNode(formatMetric(value)), ...(step === null ? [] : [element('span', { className: 'step', text: ` @${step}` })])];
}

function renderSummary(): void {
  if (!data) return;
  const runs = data.runs;
  const top = element('tr', {}, [element('th', { text: 'metric', attrs: { rowspan: '2', scope: 'col' } }), ...runs.map((r, i) => element('th', { attrs: { colspan: '2', scope: 'colgroup' } }, [colorDot(i), document.createTextNode(r.name)]))]);
  const sub = element('tr', {}, runs.flatMap(() => [element('th', { text: 'last', attrs: { scope: 'col' } }), element('th', { text: 'best', attrs: { scope: 'col' } })]));
  const rows = data.summary.map((row) => {
    const arrow = row.direction === 'lower' ? ' ↓' : row.direction === 'higher' ? ' ↑' : '';
    const how = row.direction === 'lower' ? 'lower is better (named like a loss or error)' : row.direction === 'higher' ? 'higher is better (named like a score)' : 'no direction: no best value';
    const cells = row.cells.flatMap((cell: SummaryCell | null, i) => {
      if (!cell) return [element('td', { className: 'unset', text: '–', attrs: { colspan: '2', 'data-run': String(i) } })];
      const last = element('td', { className: `last${row.bestLast === i ? ' winner' : ''}${cell.stop ? ' has-stop' : ''}`, attrs: { 'data-run': String(i), ...(cell.stop ? { title: `stops: ${stopText(cell.stop)}` } : {}) } }, [
        ...summaryValue(cell.last, cell.lastStep, cell.stop, 'last'),
        ...(row.bestLast === i ? [element('span', { className: 'star', text: ' ★', attrs: { title: 'best last value' } })] : []),
      ]);
      const best = element('td', { className: `best${row.bestBest === i ? ' winner' : ''}`, attrs: { 'data-run': String(i) } }, [
        ...summaryValue(cell.best, cell.bestStep, null, 'best'),
        ...(row.bestBest === i ? [element('span', { className: 'star', text: ' ★', attrs: { title: 'best value reached' } })] : []),
      ]);
      return [last, best];
    });
    return element('tr', { attrs: { 'data-metric': row.metric } }, [element('th', { attrs: { scope: 'row', title: how } }, [document.createTextNode(row.metric), element('span', { className: 'direction', text: arrow })]), ...cells]);
  });
  summaryTable.replaceChildren(element('thead', {}, [top, sub]), element('tbody', {}, rows.length ? rows : [element('tr', {}, [element('td', { text: 'No metrics.' })])]));
}

function renderParams(): void {
  if (!data) return;
  // One run has nothing to differ from: all its params, and no "only differ" switch.
  const single = data.runs.length < 2;
  diffLabel.toggleAttribute('hidden', single);
  const onlyDiffs = state.onlyDiffs && !single;
  const rows = data.params.filter((p) => p.differs || !onlyDiffs);
  const head = element('tr', {}, [element('th', { text: 'param' }), ...data.runs.map((r, i) => element('th', {}, [colorDot(i), document.createTextNode(r.name)]))]);
  const body = rows.map((p) =>
    element('tr', { className: p.differs ? 'differs' : '' }, [
      element('td', { text: p.key }),
      ...p.values.map((v, i) => element('td', { text: v ?? '—', className: v === null ? 'unset' : p.highlight[i] ? 'differs' : '', ...(p.highlight[i] ? { attrs: { title: 'differs' } } : {}) })),
    ]),
  );
  const empty = data.params.length === 0 ? 'No params.' : 'No params differ.';
  paramsTable.replaceChildren(element('thead', {}, [head]), element('tbody', {}, rows.length ? body : [element('tr', {}, [element('td', { text: empty })])]));
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
