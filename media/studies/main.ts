import uPlot from 'uplot';
import type { FromStudyView, StudyViewData, ToStudyView, ViewDistribution, ViewParamValue, ViewTrial } from '../../src/studies/protocol';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

// The study view: optimization history with the best-so-far line, intermediate values (running
// trials included), parallel coordinates with log axes from each parameter's distribution and a
// top-K filter, slice plots, parameter importances, the Pareto front of a multi-objective study
// and a sortable trial table. Redrawn whenever the host sends the study again (it polls the file).

const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'];
const root = document.getElementById('root')!;
const state = { objective: 0, logY: false, topK: 0, sort: { key: 'number', desc: false } };
let data: StudyViewData | undefined;
const plots: uPlot[] = [];

const css = (name: string, fallback: string): string => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(5))));
const paramText = (v: ViewParamValue | undefined): string => (v === undefined ? '' : typeof v === 'number' ? fmt(v) : String(v));

const header = element('div');
const objectiveSelect = element('select', { attrs: { 'aria-label': 'Objective' } });
const logBox = element('input', { attrs: { type: 'checkbox', 'aria-label': 'Log scale (objective)' } });
const topK = element('input', { attrs: { type: 'number', min: '0', value: '0', 'aria-label': 'Top K trials' } });
const sections = element('div');
root.append(
  header,
  element('div', { className: 'toolbar' }, [
    element('label', { text: 'Objective ' }, [objectiveSelect]),
    element('label', {}, [logBox, document.createTextNode(' Log scale')]),
    element('label', { text: 'Top K (0 = all) ' }, [topK]),
  ]),
  sections,
);
objectiveSelect.addEventListener('change', () => ((state.objective = Number(objectiveSelect.value)), render()));
logBox.addEventListener('change', () => ((state.logY = logBox.checked), render()));
topK.addEventListener('change', () => ((state.topK = Math.max(0, Math.floor(Number(topK.value) || 0))), render()));

const valueOf = (t: ViewTrial): number | null => t.values?.[state.objective] ?? null;
const minimize = (): boolean => data?.directions[state.objective] !== 'maximize';

/** Completed trials best first (for top K), by the chosen objective. */
function ranked(): ViewTrial[] {
  const done = (data?.trials ?? []).filter((t) => t.state === 'complete' && valueOf(t) !== null);
  return done.sort((a, b) => (minimize() ? valueOf(a)! - valueOf(b)! : valueOf(b)! - valueOf(a)!));
}

function topTrials(): ViewTrial[] {
  const r = ranked();
  return state.topK > 0 ? r.slice(0, state.topK) : r;
}

/** A parameter's position on its axis: the choice's index, log10 on a log axis. */
function axis(v: ViewParamValue | undefined, d: ViewDistribution): number | null {
  if (v === undefined || v === null) return null;
  if (d.type === 'categorical') {
    const i = d.choices.indexOf(v);
    return i < 0 ? null : i;
  }
  if (typeof v !== 'number') return null;
  return d.log ? (v > 0 ? Math.log10(v) : null) : v;
}

function section(title: string, ...children: Node[]): HTMLElement {
  return element('section', {}, [element('h2', { text: title }), ...children]);
}

function chartOptions(title: string, width: number, height: number, series: uPlot.Series[], xLog = false, xValues?: (u: uPlot, v: number[]) => string[]): uPlot.Options {
  const axisColor = css('--vscode-descriptionForeground', '#888');
  const grid = { stroke: css('--vscode-editorWidget-border', 'rgba(128,128,128,0.2)'), width: 1 };
  return {
    title,
    width,
    height,
    scales: { x: { time: false, ...(xLog ? { distr: 3 } : {}) }, y: state.logY ? { distr: 3 } : {} },
    axes: [{ stroke: axisColor, grid, ...(xValues ? { values: xValues } : {}) }, { stroke: axisColor, grid }],
    series: [{}, ...series],
    legend: { show: true },
  };
}

const points = (stroke: string, label: string): uPlot.Series => ({ label, stroke, paths: () => null, points: { show: true, size: 5, stroke, fill: stroke } });

function history(width: number): HTMLElement {
  const rows = (data?.trials ?? []).filter((t) => t.state === 'complete' && valueOf(t) !== null && (!state.logY || valueOf(t)! > 0));
  let best: number | null = null;
  const xs: number[] = [];
  const ys: number[] = [];
  const bs: number[] = [];
  for (const t of rows) {
    const v = valueOf(t)!;
    if (best === null || (minimize() ? v < best : v > best)) best = v;
    xs.push(t.number);
    ys.push(v);
    bs.push(best);
  }
  const box = element('div', { attrs: { 'aria-label': 'Optimization history', 'data-points': String(xs.length), 'data-best': String(bs.at(-1) ?? '') } });
  // Trial numbers are whole: no ticks between them.
  const whole = (_: uPlot, vs: number[]): string[] => vs.map((v) => (Number.isInteger(v) ? String(v) : ''));
  plots.push(new uPlot(chartOptions('Optimization history', width, 260, [points(css('--vscode-charts-blue', FALLBACK[0]!), 'value'), { label: 'best so far', stroke: css('--vscode-charts-red', FALLBACK[3]!), width: 2, paths: uPlot.paths.stepped!({ align: 1 }) }], false, whole), [xs, ys, bs], box));
  return box;
}

function intermediate(width: number): HTMLElement | undefined {
  const trials = (data?.trials ?? []).filter((t) => t.intermediate.length > 0).slice(-40);
  if (trials.length === 0) return undefined;
  const steps = [...new Set(trials.flatMap((t) => t.intermediate.map(([s]) => s)))].sort((a, b) => a - b);
  const series = trials.map((t, i) => {
    const color = t.state === 'running' ? css('--vscode-charts-blue', FALLBACK[0]!) : t.state === 'pruned' ? css('--vscode-charts-yellow', FALLBACK[5]!) : FALLBACK[(i % (FALLBACK.length - 1)) + 1]!;
    return { label: `#${t.number}${t.state === 'running' ? ' (running)' : t.state === 'pruned' ? ' (pruned)' : ''}`, stroke: color, width: t.state === 'running' ? 2 : 1, spanGaps: true } satisfies uPlot.Series;
  });
  const columns = trials.map((t) => {
    const at = new Map(t.intermediate);
    return steps.map((s) => {
      const v = at.get(s);
      return v === undefined || v === null || (state.logY && v <= 0) ? null : v;
    });
  });
  const box = element('div', { attrs: { 'aria-label': 'Intermediate values', 'data-trials': String(trials.length), 'data-running': String(trials.filter((t) => t.state === 'running').length) } });
  const opts = chartOptions('Intermediate values (last 40 trials with reports)', width, 240, series);
  opts.legend = { show: false };
  plots.push(new uPlot(opts, [steps, ...columns] as uPlot.AlignedData, box));
  return box;
}

function parallel(width: number): HTMLElement {
  const params = data?.params ?? [];
  const canvas = element('canvas', { className: 'parallel', attrs: { role: 'img', 'aria-label': 'Parallel coordinates' } });
  const ratio = devicePixelRatio;
  const height = 280;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const ctx = canvas.getContext('2d');
  const trials = topTrials();
  // What is drawn, for tests and screen readers: the lines and which axes are logarithmic.
  canvas.dataset.lines = String(trials.length);
  canvas.dataset.logAxes = params.filter((p) => p.distribution.type !== 'categorical' && p.distribution.log).map((p) => p.name).join(',');
  if (!ctx || params.length === 0) return canvas;
  ctx.scale(ratio, ratio);
  const axes = [...params.map((p) => ({ label: `${p.name}${p.distribution.type !== 'categorical' && p.distribution.log ? ' (log)' : ''}`, d: p.distribution, get: (t: ViewTrial) => axis(t.params[p.name], p.distribution) })), { label: 'objective', d: undefined, get: (t: ViewTrial) => valueOf(t) }];
  const pad = { left: 40, right: 40, top: 24, bottom: 20 };
  const step = (width - pad.left - pad.right) / Math.max(1, axes.length - 1);
  const ranges = axes.map((a) => {
    if (a.d?.type === 'categorical') return [0, Math.max(1, a.d.choices.length - 1)] as const;
    if (a.d) return [a.d.log ? Math.log10(a.d.low) : a.d.low, a.d.log ? Math.log10(a.d.high) : a.d.high] as const;
    const vs = trials.map(a.get).filter((v): v is number => v !== null);
    return [Math.min(...vs), Math.max(...vs)] as const;
  });
  const y = (i: number, v: number): number => {
    const [lo, hi] = ranges[i]!;
    return pad.top + (height - pad.top - pad.bottom) * (1 - (hi === lo ? 0.5 : (v - lo) / (hi - lo)));
  };
  const fg = css('--vscode-foreground', '#ccc');
  ctx.font = '11px sans-serif';
  ctx.fillStyle = fg;
  ctx.strokeStyle = fg;
  axes.forEach((a, i) => {
    const x = pad.left + i * step;
    ctx.beginPath();
    ctx.moveTo(x, pad.top);
    ctx.lineTo(x, height - pad.bottom);
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.fillText(a.label, x, 12);
    if (a.d?.type === 'categorical') a.d.choices.forEach((c, ci) => ctx.fillText(String(c), x, y(i, ci) + 4));
    else {
      const [lo, hi] = ranges[i]!;
      const tick = (v: number): string => (a.d && a.d.type !== 'categorical' && a.d.log ? fmt(10 ** v) : fmt(v));
      ctx.fillText(tick(hi), x, pad.top - 2);
      ctx.fillText(tick(lo), x, height - pad.bottom + 12);
    }
  });
  // Best trials drawn last, in the strongest colour.
  const best = css('--vscode-charts-blue', FALLBACK[0]!);
  [...trials].reverse().forEach((t, r) => {
    const rank = trials.length - 1 - r;
    ctx.strokeStyle = best;
    ctx.globalAlpha = 0.15 + 0.85 * (1 - rank / Math.max(1, trials.length));
    ctx.beginPath();
    let started = false;
    axes.forEach((a, i) => {
      const v = a.get(t);
      if (v === null) return;
      const px = pad.left + i * step;
      if (started) ctx.lineTo(px, y(i, v));
      else ctx.moveTo(px, y(i, v));
      started = true;
    });
    ctx.stroke();
  });
  ctx.globalAlpha = 1;
  return canvas;
}

function slices(): HTMLElement {
  const box = element('div', { className: 'slices' });
  const trials = topTrials();
  for (const p of data?.params ?? []) {
    const d = p.distribution;
    const pairs = trials.map((t) => [axis(t.params[p.name], d), valueOf(t)] as const).filter((xy): xy is readonly [number, number] => xy[0] !== null && xy[1] !== null && (!state.logY || xy[1] > 0));
    pairs.sort((a, b) => a[0] - b[0]);
    const log = d.type !== 'categorical' && d.log;
    const xs = pairs.map(([x]) => (log ? 10 ** x : x));
    const div = element('div', { attrs: { 'aria-label': `Slice ${p.name}` } });
    const labels = d.type === 'categorical' ? (_: uPlot, vs: number[]): string[] => vs.map((v) => (Number.isInteger(v) ? String(d.choices[v] ?? '') : '')) : undefined;
    const opts = chartOptions(`${p.name}${log ? ' (log)' : ''}`, 280, 200, [points(css('--vscode-charts-blue', FALLBACK[0]!), 'objective')], log, labels);
    opts.legend = { show: false };
    plots.push(new uPlot(opts, [xs, pairs.map(([, v]) => v)], div));
    box.append(div);
  }
  return box;
}

function importances(): HTMLElement {
  const rows = data?.importances ?? [];
  const grid = element('div', { className: 'bars', attrs: { role: 'table', 'aria-label': 'Parameter importances' } });
  for (const r of rows) {
    const bar = element('div', { className: 'bar' });
    bar.style.width = `${Math.round(r.importance * 100)}%`;
    grid.append(element('span', { text: r.name }), element('div', {}, [bar]), element('span', { text: r.importance.toFixed(3) }));
  }
  const held = data?.importanceTrials;
  const note = held ? [element('p', { className: 'muted', text: `Fitted on ${held.fitted} of ${held.completed} completed trials; refitted every few seconds while the study runs.` })] : [];
  return element('div', {}, [rows.length ? grid : element('p', { className: 'muted', text: 'Needs two or more completed trials.' }), ...note, element('p', { className: 'muted', text: data?.importanceMethod ?? '' })]);
}

function pareto(width: number): HTMLElement | undefined {
  if (!data || data.directions.length < 2) return undefined;
  const front = new Set(data.pareto);
  const done = data.trials.filter((t) => t.state === 'complete' && t.values?.[0] != null && t.values[1] != null).sort((a, b) => a.values![0]! - b.values![0]!);
  const box = element('div', { attrs: { 'aria-label': 'Pareto front' } });
  const opts = chartOptions(`Pareto front: objective 0 (${data.directions[0]}) vs objective 1 (${data.directions[1]})`, width, 280, [points(css('--vscode-descriptionForeground', '#888'), 'trial'), points(css('--vscode-charts-red', FALLBACK[3]!), 'Pareto front')]);
  opts.scales!.y = {};
  plots.push(new uPlot(opts, [done.map((t) => t.values![0]!), done.map((t) => (front.has(t.number) ? null : t.values![1]!)), done.map((t) => (front.has(t.number) ? t.values![1]! : null))], box));
  return box;
}

function table(): HTMLElement {
  if (!data) return element('div');
  const params = data.params.map((p) => p.name);
  const objectives = data.directions.map((_, i) => `value ${i}`);
  const columns = ['number', 'state', ...objectives, 'seconds', ...params.map((p) => `param ${p}`), 'run'];
  const key = (t: ViewTrial, c: string): number | string => {
    if (c === 'number') return t.number;
    if (c === 'state') return t.state;
    if (c === 'seconds') return t.seconds ?? -1;
    if (c.startsWith('value ')) return t.values?.[Number(c.slice(6))] ?? Infinity;
    if (c.startsWith('param ')) {
      const v = t.params[c.slice(6)];
      return typeof v === 'number' ? v : String(v ?? '');
    }
    return t.run ?? '';
  };
  const topSet = state.topK > 0 ? new Set(topTrials().map((t) => t.number)) : undefined;
  const rows = data.trials.filter((t) => !topSet || topSet.has(t.number));
  const { key: sortKey, desc } = state.sort;
  rows.sort((a, b) => {
    const x = key(a, sortKey);
    const y = key(b, sortKey);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return desc ? -c : c;
  });
  const head = element('tr', {}, columns.map((c) => {
    const th = element('th', { text: `${c.replace(/^param /, '')}${c === sortKey ? (desc ? ' ▼' : ' ▲') : ''}`, attrs: { scope: 'col', tabindex: '0' } });
    const sort = (): void => {
      state.sort = { key: c, desc: c === sortKey ? !desc : false };
      render();
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => e.key === 'Enter' && sort());
    return th;
  }));
  const body = rows.slice(0, 2000).map((t) =>
    element('tr', { className: data!.best === t.number || data!.pareto.includes(t.number) ? 'best' : '' }, [
      element('td', { text: `#${t.number}${data!.best === t.number || data!.pareto.includes(t.number) ? ' ★' : ''}` }),
      element('td', { className: `state-${t.state}`, text: t.state }),
      ...data!.directions.map((_, i) => element('td', { text: fmt(t.values?.[i]) })),
      element('td', { text: t.seconds === null ? '' : t.seconds.toFixed(1) }),
      ...params.map((p) => element('td', { text: paramText(t.params[p]) })),
      element('td', {}, t.run ? [linkButton(t)] : []),
    ]),
  );
  const tableEl = element('table', { className: 'trials', attrs: { 'aria-label': 'Trials' } }, [element('thead', {}, [head]), element('tbody', {}, body)]);
  return element('div', {}, [tableEl, ...(rows.length > 2000 ? [element('p', { className: 'muted', text: `First 2000 of ${rows.length} rows (sort to see others).` })] : [])]);
}

function linkButton(t: ViewTrial): HTMLElement {
  const b = element('button', { className: 'link', text: 'run', attrs: { title: `Show ${t.run} in the Experiments view` } });
  b.addEventListener('click', () => postToHost<FromStudyView>({ type: 'openRun', trial: t.number }));
  return b;
}

function render(): void {
  if (!data) return;
  for (const p of plots.splice(0)) p.destroy();
  const c = data.counts;
  header.replaceChildren(
    element('h1', { text: `Study: ${data.name}` }),
    element('p', { className: 'muted', text: `${data.file} · ${data.directions.join(', ')}${data.sampler ? ` · sampler ${data.sampler}` : ''}` }),
    element('div', { className: 'chips', attrs: { 'aria-label': 'Trials by state' } }, [
      element('span', { text: `${data.trials.length} trials` }),
      element('span', { className: 'state-complete', text: `${c.complete} complete` }),
      element('span', { className: 'state-running', text: `${c.running} running` }),
      element('span', { className: 'state-pruned', text: `${c.pruned} pruned` }),
      element('span', { className: 'state-fail', text: `${c.fail} failed` }),
      ...(data.best !== null ? [element('span', { text: `best #${data.best}: ${fmt(data.trials.find((t) => t.number === data!.best)?.values?.[0])}` })] : []),
      ...(data.pareto.length ? [element('span', { text: `Pareto front: ${data.pareto.length} trials` })] : []),
    ]),
    ...data.problems.map((p) => element('p', { className: 'problem', text: p })),
  );
  if (objectiveSelect.options.length !== data.directions.length) objectiveSelect.replaceChildren(...data.directions.map((d, i) => element('option', { text: `${i}: ${d}`, attrs: { value: String(i) } })));
  const width = Math.max(320, root.clientWidth - 8);
  sections.replaceChildren(
    section('Optimization history', history(width)),
    ...(data.directions.length > 1 ? [section('Pareto front', pareto(width)!)] : []),
    ...((): HTMLElement[] => {
      const iv = intermediate(width);
      return iv ? [section('Intermediate values', iv)] : [];
    })(),
    section(`Parallel coordinates${state.topK ? ` (top ${state.topK})` : ''}`, parallel(width)),
    section('Parameter importances', importances()),
    section(`Slice plots${state.topK ? ` (top ${state.topK})` : ''}`, slices()),
    section('Trials', table()),
  );
}

onHostMessage<ToStudyView>((message) => {
  if (message.type === 'gone') {
    sections.replaceChildren(element('p', { className: 'problem', text: message.reason }));
    return;
  }
  data = message;
  render();
});
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(render, 150);
});
postToHost<FromStudyView>({ type: 'ready' });
