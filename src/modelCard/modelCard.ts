import { basename } from 'node:path';
import { modelText } from '../models/inspectSubcommand';
import type { ModelFormat, ModelInfo } from '../models/modelInfo';
import { benchmarkText } from '../models/runtime/benchmarkReport';
import type { BenchmarkResult } from '../models/runtime/onnxRun';
import { driftMarkdown } from '../monitoring/driftReport';
import type { DriftResult } from '../monitoring/driftScan';
import type { RunRecord } from '../tracking/runModel';
import { Citations, codeSpan, type CardSource } from './cardSources';
import { DATA_KEY, MAX_METRICS, runSource, SEED_KEY, VALIDATION_KEY } from './runSource';
import { sklearnOutputs } from './sklearnOutputs';

// A Hugging Face-style model card (YAML front matter, then sections) written from what the tools
// returned and nothing else: each number is quoted from a tool's output with a footnote naming it,
// and what no tool returned is listed under "Not found" instead of being filled in.

/** What the card is written from; paths as the user reads them (workspace-relative). */
export interface CardFacts {
  /** The inspection of the model file (`inspect_model`), its path as shown. */
  readonly model: ModelInfo;
  readonly run?: RunRecord;
  readonly benchmark?: BenchmarkResult;
  /** The registry version the file is: model_versions' text of its registered model. */
  readonly registry?: { readonly name: string; readonly version: number; readonly store: string; readonly text: string };
  /** The latest load test of a server serving this version of the file: its app folder (as shown), when it ran, load_test's answer. */
  readonly loadTest?: { readonly app: string; readonly at: string; readonly text: string };
  readonly drift?: DriftResult;
  /** Columns the drift check left out (asked, or not read by the model). */
  readonly driftIgnored?: readonly string[];
  /** The drift check's two files, as the user reads their paths. */
  readonly driftFiles?: { readonly reference: string; readonly current: string };
  /** Facts looked for and not found, said as "what: why". */
  readonly missing: readonly string[];
}

export interface ModelCard {
  readonly markdown: string;
  /** Every fact the card says it could not find. */
  readonly missing: readonly string[];
  readonly footnotes: number;
}

/** Hugging Face's `library_name` for the formats it names. */
const LIBRARY: Partial<Record<ModelFormat, string>> = { sklearn: 'sklearn', onnx: 'onnx', pytorch: 'pytorch', keras: 'keras', gguf: 'gguf', safetensors: 'safetensors' };

export function buildModelCard(facts: CardFacts): ModelCard {
  const notes = new Citations();
  const missing = [...facts.missing];
  const info = facts.model;
  const inspect: CardSource = { title: `inspect_model ${codeSpan(info.path)}`, text: modelText(info) };
  const run = facts.run ? runSource(facts.run) : undefined;
  const bench: CardSource | undefined = facts.benchmark ? { title: `benchmark_model ${codeSpan(info.path)}`, text: benchmarkText(info.path, facts.benchmark) } : undefined;
  const registered: CardSource | undefined = facts.registry ? { title: `model_versions ${codeSpan(facts.registry.name)} in ${codeSpan(facts.registry.store)}`, text: facts.registry.text } : undefined;
  const served: CardSource | undefined = facts.loadTest ? { title: `load_test ${codeSpan(facts.loadTest.app)} at ${facts.loadTest.at}`, text: facts.loadTest.text } : undefined;
  const drift: CardSource | undefined = facts.drift ? { title: `detect_drift ${codeSpan(facts.drift.reference)} → ${codeSpan(facts.drift.current)}${facts.driftIgnored?.length ? ` ignoring ${facts.driftIgnored.map(codeSpan).join(', ')}` : ''}`, text: driftMarkdown(facts.drift) } : undefined;

  /** A bullet quoting a whole source line, or nothing when the source has no such line. */
  const quote = (source: CardSource | undefined, needle: string | RegExp, label: string, value: (line: string, match: RegExpMatchArray | undefined) => string = (line) => line): string[] => {
    const found = source && notes.find(source, needle);
    return found ? [`- ${label}: ${value(found.line, found.match)}${found.marker}`] : [];
  };

  const lines: string[] = [];
  const section = (title: string, body: readonly string[]): void => {
    lines.push(`## ${title}`, '', ...body, '');
  };

  // Model details: what the file itself says.
  const details = [
    `- File: ${codeSpan(info.path)}`,
    ...quote(inspect, /^format: \S+, (.+)$/, 'Format and size on disk', (_l, m) => `${info.format}, ${m![1]!}`),
    ...info.facts.flatMap((f) => quote(inspect, `${f.label}: ${f.value}`, f.label, () => f.value)),
    ...quote(inspect, /^tensors: (\d+), parameters: (.+)$/, 'Tensors and parameters', (_l, m) => `${m![1]!} tensors, ${m![2]!} parameters`),
  ];
  const hyper = Object.entries(info.metadata)
    .slice(0, 40)
    .flatMap(([k, v]) => {
      const marker = notes.cite(inspect, `${k}: ${v}`);
      return marker ? [`| ${codeSpan(k)} | ${tableCell(v)} | ${marker} |`] : [];
    });
  if (hyper.length) details.push('', '| hyperparameter / metadata | value | source |', '| --- | --- | --- |', ...hyper);
  section('Model details', details);

  if (registered && facts.registry) {
    // The version's own line: v<n>, its aliases, stage, status and run.
    const found = notes.find(registered, new RegExp(`^v${facts.registry.version}(?: (@\\S+(?: @\\S+)*))?(?: \\[([^\\]]+)\\])?[^:]*: (.+)$`));
    section('Registry', found ? [
      `- Registered model: ${codeSpan(facts.registry.name)}, version ${facts.registry.version}${found.marker}`,
      `- Aliases: ${found.match![1] ? found.match![1].split(' ').map(codeSpan).join(', ') : 'none'}${found.marker}`,
      ...(found.match![2] ? [`- Stage: ${found.match![2]}${found.marker}`] : []),
      `- Produced by: ${found.match![3]!.replace(/; source .*$/, '')}${found.marker}`,
    ] : ['Not found (see *Not found*).']);
    if (!found) missing.push(`registry: version ${facts.registry.version} of ${codeSpan(facts.registry.name)} is not in its registry any more`);
  }

  section('Intended use', ['Not stated by any tool output: the model\'s owner should write who may use it, for what, and what it must not be used for.']);
  missing.push('intended use and out-of-scope uses: no tool returns them');

  // Training data: what the run logged about its data, and the drift check's reference.
  const data: string[] = [];
  if (run) for (const [k, v] of Object.entries(facts.run!.params)) if (DATA_KEY.test(k)) data.push(...quote(run, `param ${k} = ${v}`, `run param ${codeSpan(k)}`, () => v));
  // The line may go on to say how many load-test rows a request log lost (driftReport.ts).
  if (drift) data.push(...quote(drift, /^Reference (\d+) rows, current (\d+) rows\.(?= |$)/, `Drift check reference ${codeSpan(facts.drift!.reference)}`, (_l, m) => `${m![1]!} rows`));
  if (data.length === 0) missing.push(`training data: ${facts.run ? `run ${codeSpan(facts.run.runId)} logs no dataset parameter` : 'no training run'}, and no drift reference was given`);
  section('Training data', data.length ? data : ['Not found (see *Not found*).']);

  // Evaluation: the run's metrics, with the validation the run logged.
  const evaluation: string[] = [];
  if (run && facts.run) {
    const r = facts.run;
    evaluation.push(`- Run: ${codeSpan(r.name)} (id ${codeSpan(r.runId)}, ${r.status})${notes.cite(run, /^run /) ?? ''}`);
    const validation = Object.entries(r.params).filter(([k]) => VALIDATION_KEY.test(k));
    if (validation.length) evaluation.push(...validation.flatMap(([k, v]) => quote(run, `param ${k} = ${v}`, `Validation: run param ${codeSpan(k)}`, () => v)));
    else missing.push(`validation method: run ${codeSpan(r.runId)} logs no split, fold, holdout or test-size parameter`);
    for (const [k, v] of Object.entries(r.params)) if (SEED_KEY.test(k) && !VALIDATION_KEY.test(k)) evaluation.push(...quote(run, `param ${k} = ${v}`, `Seed: run param ${codeSpan(k)}`, () => v));
    const metrics = r.metrics.slice(0, MAX_METRICS);
    if (metrics.length) {
      evaluation.push('', '| metric | last value | at step | source |', '| --- | ---: | ---: | --- |');
      for (const m of metrics) {
        const found = notes.find(run, new RegExp(`^metric ${escapeRegExp(m.key)}: last (\\S+) at step (\\S+)$`));
        if (found) evaluation.push(`| ${codeSpan(m.key)} | ${found.match![1]!} | ${found.match![2]!} | ${found.marker} |`);
      }
      if (r.metrics.length > MAX_METRICS) evaluation.push('', `Only the first metrics of the run are listed; see the run for the rest.`);
      evaluation.push('', 'The values are the run\'s last logged ones, as the run recorded them; this card did not recompute them.');
    } else missing.push(`metrics: run ${codeSpan(r.runId)} logged none`);
    const other = Object.entries(r.params).filter(([k]) => !VALIDATION_KEY.test(k) && !DATA_KEY.test(k) && !SEED_KEY.test(k));
    if (other.length) evaluation.push('', 'Hyperparameters the run logged:', '', ...other.flatMap(([k, v]) => quote(run, `param ${k} = ${v}`, `${codeSpan(k)}`, () => v)));
  } else missing.push('metrics and their validation: no training run (see the training run above)');
  section('Evaluation', evaluation.length ? evaluation : ['Not found (see *Not found*).']);

  // Inputs and outputs as the file declares them; a scikit-learn model's outputs from its estimator and classes.
  const io: string[] = [];
  for (const [kind, list] of [['input', info.inputs], ['output', info.outputs]] as const) {
    for (const t of list ?? []) {
      const shown = `${t.name}: ${t.dtype}[${t.shape.join(', ')}]`;
      io.push(...quote(inspect, shown, `${kind} ${codeSpan(t.name)}`, () => `${t.dtype}[${t.shape.join(', ')}]`));
    }
  }
  const predicted = info.format === 'sklearn' && !info.outputs?.length ? sklearnOutputs(info, inspect, notes) : undefined;
  if (predicted) io.push(...predicted.lines);
  missing.push(...(predicted?.missing ?? []));
  if (!info.outputs?.length && !predicted?.lines.length) missing.push(`outputs: the ${codeSpan(info.format)} file does not declare its outputs' shapes`);
  section('Inputs and outputs', io.length ? io : ['Not declared by the file (see *Not found*).']);

  // Size and latency.
  const size = [...quote(inspect, /^format: \S+, (.+)$/, 'Size on disk', (_l, m) => m![1]!)];
  if (bench) {
    for (const row of ['mean', 'p50', 'p95', 'p99', 'throughput']) size.push(...quote(bench, new RegExp(`^\\| ${row} \\| (.+) \\|$`), `Latency ${row === 'throughput' ? 'throughput' : row}`, (_l, m) => m![1]!));
    size.push(...quote(bench, /^Runtime: (.+)$/, 'Measured with', (_l, m) => m![1]!));
  }
  if (served) {
    // The served model's round trip, as load_test measured it (a pickle has no ONNX benchmark).
    size.push(...quote(served, /^(\d+ requests, \d+ in flight.*)\.$/, 'Load test', (_l, m) => m![1]!));
    for (const row of ['throughput', 'mean', 'p50', 'p95', 'p99', 'errors']) size.push(...quote(served, new RegExp(`^\\| ${row} \\| (.+) \\|$`), `Served ${row === 'throughput' || row === 'errors' ? row : `latency ${row}`}`, (_l, m) => m![1]!));
    size.push(...quote(served, /^Body: (.+)\.$/, 'Requests', (_l, m) => m![1]!));
    size.push(...quote(served, /^Runtime: (.+?)\.?$/, 'Served by', (_l, m) => m![1]!));
  }
  section('Size and latency', size);

  // Drift check.
  const driftLines: string[] = [];
  if (drift && facts.drift) {
    if (facts.driftFiles) driftLines.push(`- Data: ${codeSpan(facts.driftFiles.current)}${isRequestLog(facts.driftFiles.current) ? ' (a served app\'s request log: the rows sent to the model it serves)' : ''} against ${codeSpan(facts.driftFiles.reference)}`);
    driftLines.push(...quote(drift, /^Reference \d+ rows, current \d+ rows\. Load-test rows left out: (.+) \(requests the load tester sent, not traffic\)\.$/, 'Load-test rows left out', (_l, m) => m![1]!));
    if (facts.driftIgnored?.length) driftLines.push(`- Left out: ${facts.driftIgnored.map(codeSpan).join(', ')} (not read by the model, or asked)`);
    driftLines.push(...quote(drift, /^(No dataset drift|Dataset drift): .+\.$/, 'Result'));
    for (const c of facts.drift.columns.filter((x) => x.drifted)) {
      const found = notes.find(drift, new RegExp(`^\\| ${escapeRegExp(c.column.replaceAll('|', '\\|'))} \\| \\*\\*yes\\*\\* \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|`));
      if (found) driftLines.push(`- Drifted: ${codeSpan(c.column)}, ${found.match![1]!.trim()} ${found.match![2]!.trim()} (threshold ${found.match![3]!.trim()})${found.marker}`);
    }
    // Said, not silently dropped: a column the check could not compare (text that is no category, no values).
    const notCompared = facts.drift.skipped.map((x) => x.column).filter((name) => !facts.driftIgnored?.includes(name));
    const cited = notes.cite(drift, /^Not compared: /);
    if (notCompared.length && cited) driftLines.push(`- Not compared: ${notCompared.map(codeSpan).join(', ')} (the drift report says why)${cited}`);
  } else missing.push('drift check: no reference and current data were given');
  section('Drift check', driftLines.length ? driftLines : ['Not run (see *Not found*).']);

  // Limitations: what the tools themselves warned about, and what the card cannot vouch for.
  const limits: string[] = [];
  for (const w of info.warnings ?? []) limits.push(...quote(inspect, `warning: ${w}`, 'Loading', () => w));
  for (const p of info.problems) limits.push(...quote(inspect, `problem: ${p}`, 'The file', () => p));
  if (facts.drift?.columns.some((c) => c.drifted)) limits.push(`- Columns of the current data drifted from the reference${notes.cite(drift!, /^(No dataset drift|Dataset drift): /) ?? ''}: the evaluation above may not hold on it.`);
  if (served) limits.push(`- Served latency is a round trip over loopback on the machine that ran the load test${notes.cite(served, /^Runtime: /) ?? ''}, client and server side by side: a production deployment differs.`);
  if (bench) limits.push(`- Latency is a CPU figure on sample inputs${notes.cite(bench, /^A CPU figure/) ?? ''}, not a measurement of the served model.`);
  limits.push('- The figures above are the ones the tools returned; no fairness, robustness or calibration analysis was run.');
  section('Limitations', limits);

  section('Not found', missing.map((m) => `- ${m}`));

  const front = ['---', ...(LIBRARY[info.format] ? [`library_name: ${LIBRARY[info.format]}`] : []), 'tags:', '  - ml-engineer', `  - ${info.format}`, `model_file: ${JSON.stringify(info.path)}`, ...(facts.run ? [`run_id: ${JSON.stringify(facts.run.runId)}`] : []), ...(facts.registry ? [`registered_model: ${JSON.stringify(facts.registry.name)}`, `model_version: ${facts.registry.version}`] : []), '---', ''];
  const head = [
    `# Model card: ${codeSpan(basename(info.path))}`,
    '',
    'Written by ML Engineer from what its tools returned. Each number has a footnote that names the tool output it comes from and quotes the line; what no tool returned is listed under *Not found*, not guessed.',
    '',
  ];
  const footnotes = notes.footnotes();
  const markdown = [...front, ...head, ...lines, '## Sources', '', ...footnotes, ''].join('\n');
  return { markdown, missing, footnotes: footnotes.length };
}

/** A value inside a Markdown table cell: pipes escaped, on one line. */
function tableCell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s+/g, ' ');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a path is a served app's request log (src/serving/requestLogText.ts: logs/requests.jsonl, rotated copies too). */
function isRequestLog(path: string): boolean {
  return /(^|[\\/])logs[\\/]requests\.jsonl(\.\d+)?$/.test(path);
}
