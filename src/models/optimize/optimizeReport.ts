import { basename, dirname, join } from 'node:path';
import { formatBytes } from '../../common/units';
import { benchmarkMarkdown, formatMs } from '../runtime/benchmarkReport';
import type { BenchmarkResult, OutputDifference, SampleInput } from '../runtime/onnxRun';
import type { OptimizeMethod } from './optimizeChoices';
import type { Precision } from './pythonOptimize';

// The Optimize report: a Markdown file beside the optimized model that stays after the
// notification is gone. Which tool wrote the copy and why that one, sizes, how far its outputs
// are from the original's on sample inputs, and the two benchmarked side by side, saying plainly
// when the copy is no faster. The agent's optimize_model returns the same text.

export interface OptimizeFacts {
  /** The original model's path. */
  readonly source: string;
  /** The optimized copy's path. */
  readonly out: string;
  readonly precision: Precision;
  readonly method: OptimizeMethod;
  /** What wrote the copy ("onnxruntime 1.17.1 quantize_dynamic in /usr/bin/python3"). */
  readonly tool: string;
  /** Why that tool. */
  readonly why: string;
  /** The command that installs the Python tool, when it was missing. */
  readonly install?: string;
  readonly before: number;
  readonly after: number;
  /** What the rewrite did, in a sentence. */
  readonly summary: string;
  readonly notes: readonly string[];
  readonly comparison: { readonly inputs: readonly SampleInput[]; readonly samples: number; readonly outputs: readonly OutputDifference[] } | { readonly error: string };
  readonly benchmark: { readonly original: BenchmarkResult; readonly optimized: BenchmarkResult } | { readonly error: string };
  readonly date: Date;
}

/** `models/net.int8.onnx` → `models/net.int8.report.md`. */
export function optimizeReportPath(out: string): string {
  return join(dirname(out), `${basename(out).replace(/\.onnx$/i, '')}.report.md`);
}

/** Text from a file (names, messages) made inert in Markdown: one line, no HTML, links, code spans or table cells of its own. */
export function mdText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`[\]<>|]/g, (c) => `\\${c}`);
}

export type SpeedVerdict = { readonly kind: 'faster' | 'slower' | 'same'; readonly ratio: number; readonly text: string };

/**
 * Faster or slower only when the means differ by more than 5%, their 95% intervals do not
 * overlap, and the medians agree (a few stalls in one model's runs move its mean, not its
 * median); else no speed-up, said as such.
 */
export function speedVerdict(original: BenchmarkResult, optimized: BenchmarkResult): SpeedVerdict {
  const ratio = original.meanMs / optimized.meanMs;
  const medians = original.p50Ms / optimized.p50Ms;
  const apart = original.meanMs - original.ciHalfWidthMs > optimized.meanMs + optimized.ciHalfWidthMs || optimized.meanMs - optimized.ciHalfWidthMs > original.meanMs + original.ciHalfWidthMs;
  const means = `mean ${formatMs(original.meanMs)} ms → ${formatMs(optimized.meanMs)} ms`;
  if (apart && ratio > 1.05 && medians > 1.05) return { kind: 'faster', ratio, text: `**Faster: ${ratio.toFixed(2)}x** (${means}).` };
  if (apart && ratio < 1 / 1.05 && medians < 1 / 1.05) return { kind: 'slower', ratio, text: `**No speed-up: the optimized model is slower**, ${(1 / ratio).toFixed(2)}x the original's time (${means}).` };
  return { kind: 'same', ratio, text: `**No speed-up** (${means}, ${ratio.toFixed(2)}x: within measurement noise).` };
}

/** Why a copy gave no speed-up, where the method explains it. */
function noSpeedupReason(f: OptimizeFacts): string | undefined {
  if (f.precision === 'int8' && f.method === 'built-in') return 'Weight-only int8 stores the weights as int8 and turns them back into float32 (DequantizeLinear) when the model runs, so the arithmetic is float32 as before: it saves size, not time. Dynamic int8 (onnxruntime quantize_dynamic) computes in int8 and is usually faster on CPU.';
  if (f.precision === 'fp16') return 'On a CPU, float16 is mostly converted to float32 to compute; fp16 pays off on GPUs (onnxruntime-gpu, TensorRT), which this benchmark does not use.';
  return undefined;
}

function comparisonLines(f: OptimizeFacts): string[] {
  if ('error' in f.comparison) return [`Outputs not compared: ${mdText(f.comparison.error)}`];
  const c = f.comparison;
  const n = (x: number): string => (Number.isFinite(x) ? x.toPrecision(3) : String(x));
  return [
    `${c.samples} sample input${c.samples === 1 ? '' : 's'} (${c.inputs.map((i) => `${mdText(i.name)} ${i.dtype} [${i.shape.join(', ')}] ${i.values}`).join('; ')}; a new draw per sample), both models run by onnxruntime on the same ones.`,
    '',
    '| output | largest difference | mean difference | largest value in the original |',
    '| --- | ---: | ---: | ---: |',
    ...c.outputs.map((d) => `| ${mdText(d.output)} | ${n(d.maxAbsDiff)} | ${n(d.meanAbsDiff)} | ${n(d.maxAbs)} |`),
    '',
    `Largest output difference on the sample inputs: ${c.outputs.map((d) => `${mdText(d.output)} ${n(d.maxAbsDiff)} (values up to ${n(d.maxAbs)})`).join(', ')}. Random inputs show how far the copy drifts, not its accuracy: check it on real validation data before shipping it.`,
  ];
}

function speedLines(f: OptimizeFacts): string[] {
  if ('error' in f.benchmark) return [`Not benchmarked: ${mdText(f.benchmark.error)}`];
  const { original, optimized } = f.benchmark;
  const verdict = speedVerdict(original, optimized);
  const reason = verdict.kind !== 'faster' ? noSpeedupReason(f) : undefined;
  return [
    verdict.text + (reason ? ` ${reason}` : ''),
    '',
    ...benchmarkMarkdown([
      { name: `original (${mdText(basename(f.source))})`, result: original },
      { name: `optimized (${mdText(basename(f.out))})`, result: optimized },
    ]),
  ];
}

export function optimizeReportMarkdown(f: OptimizeFacts): string {
  const pct = ((f.after / f.before) * 100).toFixed(0);
  return [
    `# Optimize: ${mdText(basename(f.source))} → ${mdText(basename(f.out))}`,
    '',
    `Written by ML Engineer's Optimize Model on ${f.date.toISOString().replace('T', ' ').slice(0, 16)} UTC.`,
    '',
    '| | |',
    '| --- | --- |',
    `| Written by | ${mdText(f.tool)} |`,
    `| Why this tool | ${mdText(f.why)} |`,
    ...(f.install ? [`| To use the Python tool | \`${f.install.replace(/`/g, "'")}\`, then optimize again |`] : []),
    `| Size | ${formatBytes(f.before)} → ${formatBytes(f.after)} (${pct}% of the original) |`,
    `| What changed | ${mdText(f.summary)} |`,
    '',
    '## Outputs compared',
    '',
    ...comparisonLines(f),
    '',
    '## Speed',
    '',
    ...speedLines(f),
    ...(f.notes.length ? ['', '## Notes', '', ...f.notes.map((n) => `- ${mdText(n)}`)] : []),
    '',
  ].join('\n');
}

/** One line for the notification. */
export function optimizeSummaryLine(f: OptimizeFacts): string {
  const size = `${formatBytes(f.before)} → ${formatBytes(f.after)} (${((f.after / f.before) * 100).toFixed(0)}%)`;
  let speed = 'not benchmarked';
  if (!('error' in f.benchmark)) {
    const v = speedVerdict(f.benchmark.original, f.benchmark.optimized);
    speed = v.kind === 'faster' ? `${v.ratio.toFixed(2)}x faster` : v.kind === 'slower' ? `no speed-up (slower: ${(1 / v.ratio).toFixed(2)}x the time)` : 'no speed-up';
  }
  return `Wrote ${basename(f.out)} with ${f.method === 'built-in' ? 'the built-in rewrite' : f.tool}: ${size}, ${speed}.`;
}
