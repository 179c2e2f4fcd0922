import type { ModelInfo } from '../models/modelInfo';
import type { BenchmarkResult } from '../models/runtime/onnxRun';
import type { DriftResult } from '../monitoring/driftScan';
import { versionsText } from '../studies/studyText';
import type { RegisteredModelRecord } from '../tracking/registry/registryModel';
import type { RunRecord } from '../tracking/runModel';
import type { LoadTestRecord } from '../serving/loadTestRecord';
import type { CardFacts } from './modelCard';
import { codeSpan } from './cardSources';
import { findRunOfModel, pickNamedRun } from './runSource';

// Gathers a card's facts from the features' own readers: the model's inspection, the tracking
// catalog's runs, a benchmark (ONNX only) and a drift check. Each surface (the agent's tool, the
// CLI, the command) passes its readers in; a fact a reader cannot give becomes a "Not found" line.

export interface CardReaders {
  inspect(path: string, signal?: AbortSignal): Promise<ModelInfo>;
  runs(signal?: AbortSignal): Promise<readonly RunRecord[]>;
  /** Absent where no runtime is at hand. */
  benchmark?(path: string, info: ModelInfo, signal?: AbortSignal): Promise<BenchmarkResult>;
  /** Compares the files column by column, leaving out `ignore` and, when `only` is given, every column not in it. */
  drift?(reference: string, current: string, columns: DriftColumns, signal?: AbortSignal): Promise<{ result: DriftResult; ignored: readonly string[] }>;
  /** The latest load test of a server that served this version of the file (load_test's record), if any. */
  servedLatency?(model: string, signal?: AbortSignal): Promise<{ appDir: string; record: LoadTestRecord } | undefined>;
}

export interface DriftColumns {
  readonly ignore: readonly string[];
  readonly only?: readonly string[];
}

export interface CardRequest {
  /** The model file, absolute. */
  readonly model: string;
  /** How the card shows a path (workspace-relative). */
  display(path: string): string;
  /** A run id, id prefix or name; else the one run that names the model file. */
  readonly run?: string;
  /** Reference (training) and current data for the drift check, absolute. */
  readonly reference?: string;
  readonly current?: string;
  /** Columns the drift check leaves out (ids, the target); columns the model does not read are left out anyway when it names its features. */
  readonly ignore?: readonly string[];
  /** Measure latency (ONNX models); default true. */
  readonly benchmark?: boolean;
  /** The registry version the file is (Write Model Card on a version in the Experiments view): its version, aliases and run become facts. */
  readonly registry?: CardRegistryVersion;
}

export interface CardRegistryVersion {
  readonly model: RegisteredModelRecord;
  readonly version: number;
  /** The registry, as the footnote names it (its mlruns/ folder, mlflow.db or server). */
  readonly store: string;
}

export async function gatherCardFacts(request: CardRequest, readers: CardReaders, signal?: AbortSignal): Promise<CardFacts> {
  const missing: string[] = [];
  const inspected = await readers.inspect(request.model, signal);
  const model: ModelInfo = { ...inspected, path: request.display(request.model) };

  let run: RunRecord | undefined;
  let runs: readonly RunRecord[] = [];
  // A registry version names its run: that run, unless another was asked for.
  const named = request.run ?? request.registry?.model.versions.find((v) => v.version === request.registry!.version)?.runId;
  try {
    runs = await readers.runs(signal);
    const pick = named ? pickNamedRun(runs, named) : findRunOfModel(runs, request.model);
    if ('run' in pick) run = pick.run;
    else missing.push(pick.missing);
  } catch (error) {
    missing.push(`the training run: the experiment runs could not be read (${(error as Error).message})`);
  }

  // The registry version as model_versions says it (aliases, stage, its run and the run's metrics).
  const registry: CardFacts['registry'] = request.registry && {
    name: request.registry.model.name,
    version: request.registry.version,
    store: request.registry.store,
    text: versionsText(request.registry.model, (id) => runs.find((r) => r.runId === id)),
  };

  // Served latency: a load test of this very file behind its app (what a pickle has instead of a benchmark).
  let loadTest: CardFacts['loadTest'];
  try {
    const found = await readers.servedLatency?.(request.model, signal);
    if (found) loadTest = { app: request.display(found.appDir), at: found.record.at, text: found.record.text };
  } catch (error) {
    missing.push(`served latency: the load tests could not be read (${(error as Error).message})`);
  }

  let benchmark: BenchmarkResult | undefined;
  if (request.benchmark === false) missing.push('latency: not measured (benchmark turned off)');
  else if (model.format !== 'onnx') {
    if (!loadTest) missing.push(`latency: benchmarks run ONNX models and this is ${codeSpan(model.format)}, and no load test of a server serving this version of the file was found; serve it (serve_locally) and load test it (load_test), or export it to ONNX and write the card of the .onnx file`);
  }
  else if (!readers.benchmark) missing.push('latency: no runtime to measure it with here');
  else {
    try {
      benchmark = await readers.benchmark(request.model, inspected, signal);
    } catch (error) {
      missing.push(`latency: the benchmark failed (${(error as Error).message})`);
    }
  }

  let drift: DriftResult | undefined;
  let driftIgnored: readonly string[] = [];
  if (request.reference && request.current && readers.drift) {
    try {
      // The model's drift is the drift of what it reads (#20: the card said the id column drifted).
      const only = featureNames(inspected);
      ({ result: drift, ignored: driftIgnored } = await readers.drift(request.reference, request.current, { ignore: request.ignore ?? [], ...(only ? { only } : {}) }, signal));
    } catch (error) {
      missing.push(`drift check: ${(error as Error).message}`);
    }
  } else if (request.reference || request.current) missing.push('drift check: needs both a reference and a current data file');

  return { model, ...(run ? { run } : {}), ...(benchmark ? { benchmark } : {}), ...(loadTest ? { loadTest } : {}), ...(registry ? { registry } : {}), ...(drift ? { drift, driftIgnored, driftFiles: { reference: request.display(request.reference!), current: request.display(request.current!) } } : {}), missing };
}

/** The input columns the model names (scikit-learn's feature_names_in_, as inspect_model shows them); none when it names none or the list is cut. */
export function featureNames(info: ModelInfo): string[] | undefined {
  const value = info.facts.find((f) => f.label === 'Feature names')?.value;
  if (!value || value.includes('…')) return undefined;
  return value.split(', ');
}
