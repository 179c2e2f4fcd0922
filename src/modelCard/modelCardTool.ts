import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError, type FileChange, type ToolContext } from '../agent/tools/tool';
import { isUserError } from '../common/errors';
import { EngineQueryError, sharedDataEngine, type DataEngine } from '../data/engine/engineClient';
import { cleanEngineMessage } from '../data/engine/engineErrors';
import { EMPTY_VIEW } from '../data/datasetSource';
import { FileDatasetSource } from '../data/engine/fileDatasetSource';
import type { ModelInfo } from '../models/modelInfo';
import { asToolInputError, inspectForTool } from '../models/modelTool';
import { benchmarkOnnx, type OrtModule } from '../models/runtime/onnxRun';
import { detectDrift } from '../monitoring/driftScan';
import { latestLoadTestOf } from '../serving/loadTestRecord';
import type { RunRecord } from '../tracking/runModel';
import { gatherCardFacts, type CardReaders } from './gatherFacts';
import { buildModelCard, type ModelCard } from './modelCard';

// The agent's write_model_card: gathers the facts itself (inspection, the run, a benchmark, a
// drift check) and proposes MODEL_CARD.md as a diff; the file is written once the user approves.

export interface ModelCardToolDeps {
  /** The runs the workspace's tracking sources hold (read fresh enough to include a run just logged). */
  runs(signal?: AbortSignal): Promise<readonly RunRecord[]>;
  /** onnxruntime for the latency figures; absent: no benchmark. */
  readonly ort?: () => OrtModule;
  readonly engine?: () => DataEngine;
  /** The model reader; the shared reader worker by default (the CLI passes one it disposes). */
  readonly inspect?: (path: string, signal?: AbortSignal) => Promise<ModelInfo>;
}

const input = z.object({
  model: z.string().check(z.minLength(1), z.maxLength(4000)),
  run: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  reference: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
  current: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
  ignore: z.optional(z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(200))),
  output: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
  benchmark: z.optional(z.boolean()),
});
type Input = z.infer<typeof input>;

/** Seconds the card's benchmark may take: a card needs a figure, not a study. */
export const CARD_BENCHMARK_SECONDS = 5;

/** The readers a card is gathered with, for the tool and the editor's command alike. */
export function cardReaders(deps: ModelCardToolDeps, userPath: string, roots: readonly string[] = []): CardReaders {
  const engine = deps.engine ?? (() => sharedDataEngine());
  return {
    // load_test's records in the app folders under each root's deploy/ (loadTestRecord.ts).
    servedLatency: (model) => latestLoadTestOf(model, roots),
    inspect: deps.inspect ? (path, signal) => deps.inspect!(path, signal).catch((error: unknown) => asToolInputError(error, userPath)) : (path, signal) => inspectForTool(path, userPath, signal),
    runs: (signal) => deps.runs(signal),
    ...(deps.ort ? { benchmark: (path, info, signal) => benchmarkOnnx(deps.ort!(), path, info, { maxSeconds: CARD_BENCHMARK_SECONDS, ...(signal ? { signal } : {}) }) } : {}),
    drift: async (reference, current, columns, signal) => {
      const sources = [new FileDatasetSource(reference, engine()), new FileDatasetSource(current, engine())] as const;
      const abort = signal ?? new AbortController().signal;
      try {
        const only = columns.only && new Set(columns.only);
        const unread = only ? (await sources[0].info(EMPTY_VIEW, abort)).columns.map((c) => c.name).filter((name) => !only.has(name)) : [];
        const ignored = [...new Set([...columns.ignore, ...unread])];
        return { result: await detectDrift(sources[0], sources[1], { ignore: ignored }, abort), ignored };
      } catch (error) {
        if (error instanceof EngineQueryError) throw new Error(cleanEngineMessage(error.message), { cause: error });
        throw error;
      } finally {
        await Promise.all(sources.map((s) => s.dispose()));
      }
    },
  };
}

/** How long the card shown for approval is reused by the run that follows it. */
const REUSE_MS = 10 * 60_000;

export function writeModelCardTool(deps: ModelCardToolDeps) {
  // The card shown in the approval diff is the one written: the benchmark is measured once.
  let last: { key: string; at: number; card: ModelCard; change: FileChange } | undefined;
  const prepare = async (args: Input, context: ToolContext, signal?: AbortSignal): Promise<{ card: ModelCard; change: FileChange }> => {
    const key = JSON.stringify(args);
    if (last?.key === key && Date.now() - last.at < REUSE_MS) return last;
    const model = await context.files.resolve(args.model);
    const out = await context.files.resolveForWrite(args.output ?? join(dirname(model), 'MODEL_CARD.md'));
    const [reference, current] = await Promise.all([args.reference, args.current].map((p) => (p ? context.files.resolve(p) : Promise.resolve(undefined))));
    try {
      const facts = await gatherCardFacts(
        { model, display: (p) => context.files.display(p), ...(args.run ? { run: args.run } : {}), ...(reference ? { reference } : {}), ...(current ? { current } : {}), ...(args.ignore ? { ignore: args.ignore } : {}), ...(args.benchmark === false ? { benchmark: false } : {}) },
        cardReaders(deps, args.model, context.files.roots.map((r) => r.path)),
        signal,
      );
      const card = buildModelCard(facts);
      const before = await readFile(out, 'utf8').catch(() => null);
      last = { key, at: Date.now(), card, change: { path: context.files.display(out), absolutePath: out, before, after: card.markdown } };
      return last;
    } catch (error) {
      if (isUserError(error)) throw new ToolInputError(error.message);
      throw error;
    }
  };
  return defineTool({
    name: 'write_model_card',
    description:
      'Writes a Hugging Face-style model card (MODEL_CARD.md beside the model unless `output` says where) from facts it gathers itself: the model file\'s ' +
      'inspection, the training run from the tracking sources (`run`: its id or name; else the one run whose params, tags or artifacts name the file), ' +
      'a latency benchmark for ONNX models, the served latency of the latest load_test of a server serving this version of the file, and a drift check when `reference` (training data) and `current` data files are given (of the columns the model ' +
      'reads when it names them; `ignore` leaves out more, e.g. ids). To be found, a run should log the model file\'s path as a param. Every number in the ' +
      'card has a footnote quoting the tool output it comes from; what it could not find is listed, never invented. Call it after training, export and ' +
      'drift checks, and report its "Not found" list to the user.',
    input,
    risk: 'write',
    confirmation: (args) => `Write the model card of ${args.model}${args.output ? ` to ${args.output}` : ''}`,
    preview: async (args, context) => (await prepare(args, context)).change,
    async run(args, context, signal) {
      const { card, change } = await prepare(args, context, signal);
      last = undefined;
      await context.applyChange(change);
      const notFound = card.missing.length ? `\nNot found (listed in the card):\n${card.missing.map((m) => `- ${m}`).join('\n')}` : '';
      return { content: `Wrote ${change.path}: ${card.footnotes} sourced facts.${notFound}`, summary: `Model card: ${change.path}` };
    },
  });
}
