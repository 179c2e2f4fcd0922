import uPlot from 'uplot';
import type { FromLoadTestView, ToLoadTestView } from '../../src/serving/protocol';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

// A load test's charts (uPlot, as the GPU and runs views): each answered request's latency over
// the run (failures in the error colour), and the histogram of the successful requests' latency
// with p50/p95/p99 marked.

const root = document.getElementById('root')!;
const holders: { plot: uPlot; holder: HTMLElement }[] = [];

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function width(holder: HTMLElement): number {
  return Math.max(240, Math.floor(holder.clientWidth || 480));
}

function axes(yLabel: string, xLabel: string): uPlot.Axis[] {
  const stroke = cssColor('--vscode-descriptionForeground', '#888');
  const grid = { stroke: cssColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.2)'), width: 1 };
  return [
    { stroke, grid, ticks: grid, label: xLabel },
    { stroke, grid, ticks: grid, label: yLabel, size: 56 },
  ];
}

function chart(title: string, make: (holder: HTMLElement) => uPlot): void {
  const holder = element('section', { className: 'chart', attrs: { 'aria-label': title } }, [element('h2', { text: title })]);
  root.append(holder);
  holders.push({ plot: make(holder), holder });
}

function render(view: ToLoadTestView): void {
  root.replaceChildren(element('p', { className: 'summary', text: view.summary }));
  const report = element('button', { text: 'Open Report' });
  report.addEventListener('click', () => postToHost<FromLoadTestView>({ type: 'openReport' }));
  root.append(report);
  holders.length = 0;
  const points = (color: string): uPlot.Series => ({ stroke: color, fill: color, width: 0, points: { show: true, size: 4, stroke: color, fill: color }, paths: () => null });
  chart('Latency over the run', (holder) =>
    new uPlot(
      {
        width: width(holder),
        height: 240,
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: axes('ms', 'seconds since the start'),
        series: [{}, { label: 'ok', ...points(cssColor('--vscode-charts-blue', '#3794ff')) }, { label: 'failed', ...points(cssColor('--vscode-charts-red', '#f14c4c')) }],
      },
      [[...view.t], [...view.ok], [...view.failed]],
      holder,
    ),
  );
  if (view.counts.length === 0) {
    root.append(element('p', { text: 'No request succeeded: no latency histogram.' }));
    return;
  }
  const marks = view.marks;
  const markColor = cssColor('--vscode-charts-orange', '#d18616');
  chart(`Latency of the successful requests (${view.binMs} ms bins; ${marks.map((m) => `${m.label} ${m.ms.toFixed(2)} ms`).join(', ')})`, (holder) =>
    new uPlot(
      {
        width: width(holder),
        height: 240,
        legend: { show: false },
        scales: { x: { time: false, range: (_u, lo, hi) => [lo, hi + view.binMs] } },
        axes: axes('requests', 'ms'),
        series: [{}, { label: 'requests', stroke: cssColor('--vscode-charts-blue', '#3794ff'), fill: cssColor('--vscode-charts-blue', '#3794ff'), points: { show: false }, paths: uPlot.paths.bars!({ size: [0.9, Infinity], align: 1 }) }],
        hooks: {
          draw: [
            (u) => {
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = markColor;
              ctx.fillStyle = markColor;
              ctx.lineWidth = 1.5 * devicePixelRatio;
              ctx.font = `${11 * devicePixelRatio}px sans-serif`;
              for (const mark of marks) {
                const x = u.valToPos(mark.ms, 'x', true);
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
                ctx.fillText(mark.label, x + 3 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
              }
              ctx.restore();
            },
          ],
        },
      },
      [[...view.bins], [...view.counts]],
      holder,
    ),
  );
}

window.addEventListener('resize', () => {
  for (const { plot, holder } of holders) plot.setSize({ width: width(holder), height: 240 });
});

onHostMessage<ToLoadTestView>((message) => {
  if (message.type === 'loadTest') render(message);
});
postToHost<FromLoadTestView>({ type: 'ready' });
