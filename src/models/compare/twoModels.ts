import { basename } from 'node:path';
import type * as Ort from 'onnxruntime-web';
import { formatBytes, formatCount } from '../../common/units';
import { totalBytes, type IoInfo, type ModelInfo } from '../modelInfo';
import { benchmarkMarkdown } from '../runtime/benchmarkReport';
import { addDifference, benchmarkOnnxModels, createSession, describeSampleInputs, differenceOf, newDifference, runtimeName, sampleFeeds, type BenchmarkOptions, type BenchmarkResult, type OrtModule, type SampleInput } from '../runtime/onnxRun';

// Compare two models (right-click two model files > Compare Models): what each takes and gives,
// sizes, operators; and where both are ONNX with the same inputs, both run with onnxruntime-web on
// the same sample inputs (outputs paired by name, else by position): the largest and mean absolute
// difference per output, then both benchmarked in turns (benchmarkOnnxModels), side by side.

export interface ModelSide {
  readonly name: string;
  readonly path: string;
  readonly format: string;
  readonly bytes: number;
  readonly parameters: number;
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  readonly operators: Readonly<Record<string, number>>;
}

export interface OutputPair {
  readonly a: string;
  readonly b: string;
  /** Infinity when the shapes differ. */
  readonly maxAbsDiff: number;
  readonly meanAbsDiff: number;
  /** The largest magnitude in A's output, to read the difference against. */
  readonly maxAbs: number;
}

export interface ModelComparison {
  readonly a: ModelSide;
  readonly b: ModelSide;
  /** Differences in what they take and give, in words ("input x: float32 [1, 4] vs float16 [1, 4]"). */
  readonly ioDifferences: readonly string[];
  /** Why they were not run, when they were not. */
  readonly notRun?: string;
  readonly runtime?: string;
  readonly sampleInputs?: readonly SampleInput[];
  readonly outputs?: readonly OutputPair[];
  readonly benchmark?: readonly [BenchmarkResult, BenchmarkResult];
}

export interface CompareTwoOptions extends BenchmarkOptions {
  /** Sample inputs to compare outputs on (seeds 7, 8, …). Default 3. */
  readonly samples?: number;
  /** Skip the benchmark (outputs only). */
  readonly skipBenchmark?: boolean;
}

function side(path: string, info: ModelInfo, name?: string): ModelSide {
  return { name: name ?? basename(path), path, format: info.format, bytes: totalBytes(info), parameters: info.parameterCount, inputs: info.inputs ?? [], outputs: info.outputs ?? [], operators: info.operators ?? {} };
}

const ioText = (io: IoInfo): string => `${io.dtype} [${io.shape.join(', ')}]`;

function ioDifferences(a: ModelSide, b: ModelSide): string[] {
  const out: string[] = [];
  for (const [what, x, y] of [['input', a.inputs, b.inputs], ['output', a.outputs, b.outputs]] as const) {
    const byName = new Map(y.map((io) => [io.name, io]));
    for (const io of x) {
      const other = byName.get(io.name);
      if (!other) out.push(`${what} ${io.name}: only in ${a.name}`);
      else if (ioText(io) !== ioText(other)) out.push(`${what} ${io.name}: ${ioText(io)} vs ${ioText(other)}`);
    }
    const names = new Set(x.map((io) => io.name));
    for (const io of y) if (!names.has(io.name)) out.push(`${what} ${io.name}: only in ${b.name}`);
  }
  return out;
}

/**
 * Which of B's inputs gets each of A's sample inputs: by name when both have the same names and
 * types, else by position when types and shapes agree (a network re-exported under other names);
 * a string says why no sample input fits both.
 */
function inputPairing(a: ModelSide, b: ModelSide): Map<string, string> | string {
  if (a.format !== 'onnx' || b.format !== 'onnx') return `both must be ONNX to run them here (${a.name} is ${a.format}, ${b.name} is ${b.format}): export them first`;
  if (a.inputs.length === 0) return `${a.name} declares no inputs`;
  if (a.outputs.length !== b.outputs.length) return `${a.name} gives ${a.outputs.length} outputs, ${b.name} ${b.outputs.length}`;
  const key = (io: IoInfo): string => `${io.name}:${io.dtype}`;
  const bKeys = new Set(b.inputs.map(key));
  if (a.inputs.length === b.inputs.length && a.inputs.every((io) => bKeys.has(key(io)))) return new Map(a.inputs.map((io) => [io.name, io.name]));
  if (a.inputs.length === b.inputs.length && a.inputs.every((io, i) => ioText(io) === ioText(b.inputs[i]!))) return new Map(a.inputs.map((io, i) => [io.name, b.inputs[i]!.name]));
  return 'their inputs differ in number, type or shape, so no sample input fits both';
}

async function outputDifferences(ort: OrtModule, a: { path: string; info: ModelInfo }, b: { path: string; info: ModelInfo }, inputs: ReadonlyMap<string, string>, options: CompareTwoOptions): Promise<OutputPair[]> {
  const sa = await createSession(ort, a.path, a.info);
  let sb: Ort.InferenceSession | undefined;
  try {
    sb = await createSession(ort, b.path, b.info);
    // Paired by name where B has every one of A's outputs, else by position.
    const byName = sa.outputNames.every((n) => sb!.outputNames.includes(n));
    const pairs = sa.outputNames.map((n, i) => [n, byName ? n : sb!.outputNames[i]!] as const);
    const acc = pairs.map(newDifference);
    for (let s = 0; s < (options.samples ?? 3); s++) {
      options.signal?.throwIfAborted();
      const feeds = sampleFeeds(ort, a.info.inputs ?? [], { ...options, seed: (options.seed ?? 7) + s });
      const feedsB = Object.fromEntries(Object.entries(feeds).map(([name, tensor]) => [inputs.get(name) ?? name, tensor]));
      const [ra, rb] = [await sa.run(feeds), await sb.run(feedsB)];
      pairs.forEach(([na, nb], k) => addDifference(acc[k]!, ra[na]!.data as ArrayLike<number>, rb[nb]?.data as ArrayLike<number> | undefined));
    }
    return pairs.map(([na, nb], k) => ({ a: na, b: nb, ...differenceOf(acc[k]!) }));
  } finally {
    await sa.release();
    await sb?.release();
  }
}

/** `name`: how the report names a model (a registry version's "churn v3 (model.onnx)"); default its file name. */
export async function compareTwoModels(ort: () => OrtModule, a: { path: string; info: ModelInfo; name?: string }, b: { path: string; info: ModelInfo; name?: string }, options: CompareTwoOptions = {}): Promise<ModelComparison> {
  const sa = side(a.path, a.info, a.name);
  const sb = side(b.path, b.info, b.name);
  const base = { a: sa, b: sb, ioDifferences: ioDifferences(sa, sb) };
  const pairing = inputPairing(sa, sb);
  if (typeof pairing === 'string') return { ...base, notRun: pairing };
  const runtime = ort();
  const outputs = await outputDifferences(runtime, a, b, pairing, options);
  // benchmarkOnnxModels feeds every model A's sample inputs by name: it runs only when the names agree.
  const sameNames = [...pairing].every(([x, y]) => x === y);
  const benchmark = options.skipBenchmark || !sameNames ? undefined : ((await benchmarkOnnxModels(runtime, [a, b], options)) as unknown as readonly [BenchmarkResult, BenchmarkResult]);
  return { ...base, runtime: runtimeName(runtime), sampleInputs: describeSampleInputs(a.info.inputs ?? [], options), outputs, ...(benchmark ? { benchmark } : {}) };
}

const diffText = (d: number): string => (d === Infinity ? 'shapes differ' : d === 0 ? '0' : d.toExponential(2));

export function comparisonMarkdown(c: ModelComparison): string {
  const { a, b } = c;
  const ops = [...new Set([...Object.keys(a.operators), ...Object.keys(b.operators)])].sort((x, y) => (b.operators[y] ?? 0) + (a.operators[y] ?? 0) - (b.operators[x] ?? 0) - (a.operators[x] ?? 0));
  const lines = [
    `# ${a.name} vs ${b.name}`,
    '',
    `| | ${a.name} | ${b.name} |`,
    '| --- | --- | --- |',
    `| format | ${a.format} | ${b.format} |`,
    `| size | ${formatBytes(a.bytes)} | ${formatBytes(b.bytes)} |`,
    `| parameters | ${formatCount(a.parameters)} | ${formatCount(b.parameters)} |`,
    `| inputs | ${a.inputs.map((i) => `${i.name}: ${ioText(i)}`).join('<br>') || '—'} | ${b.inputs.map((i) => `${i.name}: ${ioText(i)}`).join('<br>') || '—'} |`,
    `| outputs | ${a.outputs.map((i) => `${i.name}: ${ioText(i)}`).join('<br>') || '—'} | ${b.outputs.map((i) => `${i.name}: ${ioText(i)}`).join('<br>') || '—'} |`,
    '',
    c.ioDifferences.length ? `Inputs and outputs differ: ${c.ioDifferences.join('; ')}.` : 'Same inputs and outputs (names, types, shapes).',
    '',
  ];
  if (ops.length) {
    lines.push('| operator | ' + a.name + ' | ' + b.name + ' |', '| --- | ---: | ---: |', ...ops.slice(0, 40).map((op) => `| ${op} | ${a.operators[op] ?? 0} | ${b.operators[op] ?? 0} |`), ops.length > 40 ? `\n(${ops.length - 40} more operators)` : '', '');
  }
  if (c.notRun) {
    lines.push(`Not run: ${c.notRun}.`, '');
    return lines.join('\n');
  }
  lines.push(
    `## Outputs on the same sample inputs (${c.runtime})`,
    '',
    `Inputs: ${(c.sampleInputs ?? []).map((s) => `${s.name} ${s.dtype} [${s.shape.join(', ')}] ${s.values}`).join('; ')}.`,
    '',
    `| output | max abs diff | mean abs diff | largest ${a.name} value |`,
    '| --- | ---: | ---: | ---: |',
    ...(c.outputs ?? []).map((o) => `| ${o.a === o.b ? o.a : `${o.a} / ${o.b}`} | ${diffText(o.maxAbsDiff)} | ${diffText(o.meanAbsDiff)} | ${o.maxAbs.toPrecision(3)} |`),
    '',
  );
  if (c.benchmark) lines.push('## Benchmark, side by side (measured in turns)', '', ...benchmarkMarkdown([{ name: a.name, result: c.benchmark[0] }, { name: b.name, result: c.benchmark[1] }]), '');
  return lines.join('\n');
}
