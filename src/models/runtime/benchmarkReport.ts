import type { BenchmarkResult } from './onnxRun';

// A benchmark in words, the same numbers wherever they are shown: the Benchmark command's
// notification and log, the agent's benchmark_model, the Optimize report (original beside
// optimized). Throughput always comes with its basis, and the runtime with its thread count.

/** 3 significant digits under 1000 ms ("0.336", "2.50", "38.2"), whole milliseconds above. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  return ms >= 1000 ? ms.toFixed(0) : ms.toPrecision(3);
}

/** Whole samples per second from 100 up, 3 significant digits below. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return String(perSecond);
  return perSecond >= 100 ? Math.round(perSecond).toString() : perSecond.toPrecision(3);
}

export const THROUGHPUT_BASIS = 'samples/s = batch × runs / measured time (the sum of the measured runs\' latencies, warm-up excluded)';

/** ±x% of the mean (its 95% confidence interval). */
function relativeCi(r: BenchmarkResult): string {
  return Number.isFinite(r.ciHalfWidthMs) ? `±${((100 * r.ciHalfWidthMs) / r.meanMs).toFixed(1)}%` : '± unknown (1 run)';
}

/** Why measuring stopped, in words. */
export function stopText(r: BenchmarkResult): string {
  switch (r.stop) {
    case 'stable':
      return `stopped when the mean was known to ${relativeCi(r)} (target ±${(100 * r.target).toFixed(0)}%)`;
    case 'time budget':
      return `stopped at the ${r.maxSeconds} s budget with the mean known to ${relativeCi(r)}${r.ciHalfWidthMs / r.meanMs >= r.target ? ` (not yet within ±${(100 * r.target).toFixed(0)}%: timings varied)` : ''}`;
    case 'run limit':
      return `stopped at the run limit with the mean known to ${relativeCi(r)}`;
    case 'fixed runs':
      return `${r.runs} runs as asked; the mean known to ${relativeCi(r)}`;
  }
}

function warmupText(r: BenchmarkResult): string {
  if (r.warmupRuns === 0) return 'no warm-up';
  return `${r.warmupRuns} warm-up run${r.warmupRuns === 1 ? '' : 's'} (${formatMs(r.warmupMs)} ms, ${r.warmupSettled ? 'until timings settled' : 'stopped at its bound'})`;
}

function inputsText(r: BenchmarkResult): string {
  return Object.entries(r.inputShapes).map(([k, v]) => `${k} [${v.join(', ')}]`).join(', ');
}

/** One line for a notification: mean first, throughput with its basis in short. */
export function benchmarkLine(r: BenchmarkResult): string {
  return `mean ${formatMs(r.meanMs)} ms (${relativeCi(r)}), p50 ${formatMs(r.p50Ms)}, p95 ${formatMs(r.p95Ms)}, p99 ${formatMs(r.p99Ms)}, min ${formatMs(r.minMs)} ms over ${r.runs} runs; ${formatRate(r.throughput)} samples/s (batch ${r.batch} × runs / measured time); ${r.runtime}`;
}

/** A Markdown table, one column per model, and the lines that say how it was measured. */
export function benchmarkMarkdown(columns: readonly { name: string; result: BenchmarkResult }[]): string[] {
  const row = (label: string, cell: (r: BenchmarkResult) => string): string => `| ${label} | ${columns.map((c) => cell(c.result)).join(' | ')} |`;
  const first = columns[0]!.result;
  return [
    `| | ${columns.map((c) => c.name).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    row('mean', (r) => `${formatMs(r.meanMs)} ms ${relativeCi(r)}`),
    row('p50', (r) => `${formatMs(r.p50Ms)} ms`),
    row('p95', (r) => `${formatMs(r.p95Ms)} ms`),
    row('p99', (r) => `${formatMs(r.p99Ms)} ms`),
    row('min', (r) => `${formatMs(r.minMs)} ms`),
    row('throughput', (r) => `${formatRate(r.throughput)} samples/s`),
    row('measured runs', (r) => String(r.runs)),
    row('load', (r) => `${formatMs(r.loadMs)} ms`),
    '',
    `Runtime: ${first.runtime}. Batch ${first.batch}; inputs ${inputsText(first)} (sample values).`,
    `Throughput: ${THROUGHPUT_BASIS}. Mean ± its 95% confidence interval; percentiles interpolated between ranks.`,
    ...columns.map((c) => `${c.name}: ${warmupText(c.result)}, then ${stopText(c.result)}.`),
  ];
}

/** The whole benchmark of one model as text (the command's log, the agent's tool). */
export function benchmarkText(model: string, r: BenchmarkResult): string {
  return [
    `Benchmark of ${model}`,
    '',
    ...benchmarkMarkdown([{ name: model, result: r }]),
    '',
    'A CPU figure for comparing models and their optimized copies; a GPU server (onnxruntime-gpu, Triton) is faster.',
  ].join('\n');
}
