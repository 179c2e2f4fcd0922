import uPlot from 'uplot';
import type { GpuSeries } from '../../src/gpu/gpuHistory';
import type { FromGpuView, ToGpuView } from '../../src/gpu/protocol';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

// Live charts of the last minutes per GPU: utilisation, memory, power, temperature (uPlot:
// small, canvas-based, fast enough to redraw every sample), and the processes on the GPUs.

interface Metric {
  readonly key: 'utilization' | 'memoryGiB' | 'powerW' | 'temperatureC';
  readonly title: string;
  readonly unit: string;
  readonly colorVar: string;
  max(gpu: GpuSeries): number | undefined;
}

const METRICS: readonly Metric[] = [
  { key: 'utilization', title: 'Utilisation', unit: '%', colorVar: '--vscode-charts-blue', max: () => 100 },
  { key: 'memoryGiB', title: 'Memory', unit: 'GB', colorVar: '--vscode-charts-purple', max: (g) => g.memoryTotalGiB ?? undefined },
  { key: 'powerW', title: 'Power', unit: 'W', colorVar: '--vscode-charts-orange', max: (g) => g.powerLimitW ?? undefined },
  { key: 'temperatureC', title: 'Temperature', unit: '°C', colorVar: '--vscode-charts-red', max: () => undefined },
];

const root = document.getElementById('root')!;
const charts = new Map<string, { plot: uPlot; now: HTMLElement; holder: HTMLElement }>();
const sections = new Map<number, HTMLElement>();
const processList = element('ul', { className: 'processes', attrs: { 'aria-label': 'GPU processes' } });
const problem = element('p', { className: 'problem', attrs: { hidden: '' } });
const gpusContainer = element('div');
root.append(problem, gpusContainer, element('h2', { text: 'Processes' }), processList);

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** A chart fills its grid cell: the cell's width, read after layout. */
function chartWidth(holder: HTMLElement): number {
  return Math.max(200, Math.floor(holder.clientWidth || 300));
}

function ensureGpu(gpu: GpuSeries): HTMLElement {
  let section = sections.get(gpu.index);
  if (section) return section;
  const grid = element('div', { className: 'charts' });
  section = element('section', { className: 'gpu', attrs: { 'aria-label': `GPU ${gpu.index}` } }, [element('h2', { text: `GPU ${gpu.index}: ${gpu.name}` }), grid]);
  gpusContainer.append(section);
  sections.set(gpu.index, section);
  const axisColor = cssColor('--vscode-descriptionForeground', '#888');
  const gridColor = cssColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.2)');
  for (const metric of METRICS) {
    const now = element('span', { className: 'now', text: '–' });
    const holder = element('div', { className: 'chart', attrs: { 'data-metric': metric.key } }, [element('h3', { text: metric.title }, [now])]);
    grid.append(holder);
    const max = metric.max(gpu);
    const plot = new uPlot(
      {
        width: chartWidth(holder),
        height: 140,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, lo, hi) => [Math.min(0, lo), max ?? Math.max(hi * 1.1, 1)] } },
        axes: [
          { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } },
          { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor }, size: 48 },
        ],
        series: [{}, { label: metric.title, stroke: cssColor(metric.colorVar, '#3794ff'), width: 2, fill: undefined, spanGaps: false }],
      },
      [[], []],
      holder,
    );
    charts.set(`${gpu.index}:${metric.key}`, { plot, now, holder });
  }
  return section;
}

function render(message: Extract<ToGpuView, { type: 'history' }>): void {
  problem.toggleAttribute('hidden', !message.problem);
  problem.textContent = message.problem ?? '';
  for (const gpu of message.gpus) {
    ensureGpu(gpu);
    for (const metric of METRICS) {
      const chart = charts.get(`${gpu.index}:${metric.key}`);
      if (!chart) continue;
      const values = gpu[metric.key];
      chart.plot.setData([gpu.t, values]);
      const last = values[values.length - 1];
      chart.now.textContent = last === null || last === undefined ? '–' : `${metric.key === 'memoryGiB' ? last.toFixed(1) : Math.round(last)} ${metric.unit}`;
    }
  }
  processList.replaceChildren(...(message.processes.length > 0 ? message.processes : ['No process holds GPU memory.']).map((p) => element('li', { text: p })));
}

window.addEventListener('resize', () => {
  for (const { plot, holder } of charts.values()) plot.setSize({ width: chartWidth(holder), height: 140 });
});

onHostMessage<ToGpuView>((message) => {
  if (message.type === 'history') render(message);
});
postToHost<FromGpuView>({ type: 'ready' });
