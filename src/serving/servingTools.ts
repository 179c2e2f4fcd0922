import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError, type ToolContext } from '../agent/tools/tool';
import { isUserError } from '../common/errors';
import { isSameOrInside } from '../common/pathInside';
import { sharedDataEngine, type DataEngine } from '../data/engine/engineClient';
import { FileDatasetSource } from '../data/engine/fileDatasetSource';
import { formatOfPath } from '../data/engine/fileRelation';
import { existingFiles, writeDeployment } from '../models/deploy/deployPlan';
import { asToolInputError, inspectForTool } from '../models/modelTool';
import { runningFor, type AgentServers, type RunningServer, type ServedApp } from './agentServers';
import { appDirFor, markServedModel } from './appFolder';
import { REQUEST_LOG_FILE, REQUEST_LOG_FLUSH_SECONDS } from './requestLogText';
import { quantile, sendRows } from './requestSender';
import { pickRunning } from './serverPick';
import { approvalNotHeld, approvedModulesEnv, pickledWorkspaceModules, type WorkspaceModuleFile } from './pickledWorkspaceModules';
import { planServeApp, servableApp, servingLoadsPickle } from './servePlan';

// The agent's Serve Locally (serve_locally) and the traffic it sends (send_requests). Both are
// execute tools: the first writes the app (Deploy's FastAPI app for ONNX, the scikit-learn app for
// a pickle) and runs it with the user's Python, on 127.0.0.1 with a fresh token the agent never
// sees; the second makes that app run its model on a data file's rows. The app's own request log
// (logs/requests.jsonl in its folder) is then what detect_drift and write_model_card compare with
// the training data, so the drift step reads what the served model was really sent.

export interface ServingToolDeps {
  readonly servers: AgentServers;
  readonly engine?: () => DataEngine;
}

const MAX_CARDS_PER_INPUT = 4;

/** What a serve_locally card named, for its run: the workspace modules and their hashes as shown. */
interface Card {
  readonly root: string;
  readonly modules: WorkspaceModuleFile[];
  readonly shown: string;
}

const serveInput = z.object({ path: z.string().check(z.minLength(1), z.maxLength(4000)) });

export function serveLocallyTool(deps: ServingToolDeps) {
  // What each call's card showed, kept per call: the chat's session hands approvalScope, declined and
  // run one parsed input object per call, so two calls on the same path at once (two chats) never
  // share an entry. Copilot's prepare and invoke get separate copies of the input (no call id reaches
  // a tool), so its calls also find their card by the input: the oldest card for it not yet run
  // (cards are answered in the order drawn). Not the newest: that one may still wait for the user, and
  // holds a module edited since; an older card the user silently declined fails its hash check instead.
  const byCall = new WeakMap<object, Card>();
  const byInput = new Map<string, Card[]>();
  const forget = (input: object, card: Card | undefined): void => {
    byCall.delete(input);
    const cards = byInput.get(JSON.stringify(input))?.filter((c) => c !== card);
    if (cards?.length) byInput.set(JSON.stringify(input), cards);
    else byInput.delete(JSON.stringify(input));
  };
  return defineTool({
    name: 'serve_locally',
    description:
      'Serve Locally: runs a model as a FastAPI app with uvicorn and the user\'s Python, on 127.0.0.1 with a bearer token kept by the extension. ' +
      'path: an ONNX model or a scikit-learn pickle/joblib (its app is written first into deploy/<name>-fastapi/, or that model\'s app is reused), ' +
      'or a folder holding app.py. Answers the URL, the server name for send_requests, the features /predict takes and the app\'s request log ' +
      '(logs/requests.jsonl in the app folder: every predicted row, the current data for detect_drift). An app already running is not started twice.',
    input: serveInput,
    risk: 'execute',
    // The workspace modules are found by approvalScope (it reads the pickle), run just before the card is drawn.
    confirmation: (input) =>
      `Serve ${input.path} on 127.0.0.1 with your Python (its FastAPI app written into deploy/ first if none is there; loading a pickle runs code from the file)${byCall.get(input)?.shown ?? ''}`,
    // "Allow for this chat" covers this model file (or app folder) as it is now, and the workspace modules its pickle imports.
    approvalScope: async (input, context) => {
      const path = await context.files.resolve(input.path);
      const imported = await importedModules(path, context);
      const card = { ...imported, shown: imported.modules.length ? ` and imports ${imported.modules.map((m) => context.files.display(m.file)).join(', ')} from the workspace` : '' };
      byCall.set(input, card);
      // A card declined in Copilot tells no tool: at most a few are kept per input.
      byInput.set(JSON.stringify(input), [...(byInput.get(JSON.stringify(input)) ?? []).slice(-(MAX_CARDS_PER_INPUT - 1)), card]);
      return [await context.files.identity(path), ...imported.modules.map((m) => `${m.file}#${m.sha256}`)].join('\n');
    },
    declined(input) {
      forget(input, byCall.get(input));
    },
    async run(input, context, signal) {
      const card = byCall.get(input) ?? byInput.get(JSON.stringify(input))?.at(0);
      forget(input, card);
      const path = await context.files.resolve(input.path);
      if (!existsSync(path)) throw new ToolInputError(`${input.path} does not exist.`);
      // The app runs the module files the user approved, as hashed then (MCP, which asks nobody: as they are now).
      const said = card ?? (await importedModules(path, context));
      const written = await appFor(path, input.path, context, signal);
      const app = { ...written.app, env: approvedModulesEnv(said.modules, said.root) };
      const wrote = written.wrote;
      const unheld = approvalNotHeld(app);
      if (unheld) throw new ToolInputError(unheld);
      const already = runningFor(deps.servers, app);
      let running: RunningServer;
      try {
        running = already ?? (await deps.servers.start(app, signal));
      } catch (error) {
        if (isUserError(error)) throw new ToolInputError(error.message);
        throw error;
      }
      const features = await featuresOf(running);
      const lines = [
        `${already ? 'Already serving' : 'Serving'} ${context.files.display(app.appDir)} as server "${running.name}" at ${running.server.url} (127.0.0.1 only; requests need the token, which the extension keeps: send them with send_requests).`,
        ...(wrote.length ? [`Wrote the app: ${wrote.map((w) => context.files.display(w)).join(', ')}.`] : []),
        features ? `POST /predict takes {"instances": [{feature: value, ...}]} with the features: ${features.join(', ')}.` : `POST /predict: see ${running.server.url}/docs for what it takes.`,
        `Request log: ${context.files.display(join(app.appDir, REQUEST_LOG_FILE))} (one JSON line per predicted row: its features, __prediction, __latency_ms, __ts); after send_requests, give it to detect_drift as current.`,
      ];
      return { content: lines.join('\n'), summary: `${running.name} at ${running.server.url}` };
    },
  });
}

/** The workspace modules a pickled model file imports as it loads (none for a folder, another format or an unreadable file). */
async function importedModules(path: string, context: ToolContext): Promise<{ root: string; modules: WorkspaceModuleFile[] }> {
  const root = context.files.roots.find((r) => isSameOrInside(r.path, path))?.path ?? '';
  if (!root || !existsSync(path) || statSync(path).isDirectory()) return { root, modules: [] };
  const info = await inspectForTool(path, path).catch(() => undefined);
  return { root, modules: info && servingLoadsPickle(info) ? pickledWorkspaceModules(info, root) : [] };
}

/** The app a path serves: a folder's own app.py, else the model's app folder, written now if it is not there. */
async function appFor(path: string, userPath: string, context: ToolContext, signal: AbortSignal): Promise<{ app: ServedApp; wrote: string[] }> {
  if (statSync(path).isDirectory()) {
    const app = servableApp(path);
    if (!app) throw new ToolInputError(`${userPath} holds no app.py (or main.py) to serve: give a model file (.onnx, .pkl, .joblib) or scaffold_deployment first.`);
    return { app, wrote: [] };
  }
  const root = context.files.roots.find((r) => isSameOrInside(r.path, path))!;
  const { appDir: dir, exists } = await appDirFor(root.path, path);
  const app = { appDir: dir, module: 'app' };
  if (exists) return { app, wrote: [] };
  const info = await inspectForTool(path, userPath, signal).catch((error: unknown) => asToolInputError(error, userPath));
  let plan;
  try {
    plan = markServedModel(planServeApp(info, path), root.path, path);
  } catch (error) {
    throw new ToolInputError(error instanceof Error ? error.message : String(error));
  }
  context.files.checkWritable(dir);
  const clash = existingFiles(plan, dir);
  if (clash.length) throw new ToolInputError(`${context.files.display(dir)} already holds ${clash.join(', ')} but no app.py: remove them, or serve a folder that holds an app.`);
  try {
    return { app, wrote: writeDeployment(plan, dir) };
  } catch (error) {
    throw new ToolInputError(error instanceof Error ? error.message : String(error));
  }
}

/** The feature names GET /metadata gives (the scikit-learn app), or those of Deploy's sample request. */
async function featuresOf(running: RunningServer): Promise<string[] | undefined> {
  const meta = await running.server.call('/metadata').catch(() => undefined);
  if (meta?.status === 200) {
    try {
      const features = (JSON.parse(meta.body) as { features?: unknown }).features;
      if (Array.isArray(features)) return features.map(String);
    } catch {
      // not the scikit-learn app's metadata
    }
  }
  const sample = join(running.server.options.appDir, 'sample_request.json');
  if (!existsSync(sample)) return undefined;
  try {
    const inputs = (JSON.parse(readFileSync(sample, 'utf8')) as { inputs?: unknown }).inputs;
    return inputs && typeof inputs === 'object' ? Object.keys(inputs) : undefined;
  } catch {
    return undefined;
  }
}

const sendInput = z.object({
  data: z.string().check(z.minLength(1), z.maxLength(4000)),
  server: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  max_rows: z.optional(z.number().check(z.int(), z.positive(), z.maximum(100_000))),
  batch_size: z.optional(z.number().check(z.int(), z.positive(), z.maximum(1000))),
  concurrency: z.optional(z.number().check(z.int(), z.positive(), z.maximum(16))),
});

export function sendRequestsTool(deps: ServingToolDeps) {
  return defineTool({
    name: 'send_requests',
    description:
      'Sends the rows of a data file in the workspace (.csv, .parquet, .jsonl, ...) to a model server serve_locally started, as POST /predict ' +
      '{"instances": [row, ...]} in batches (batch_size, default 50) a few at a time (concurrency, default 4); at most max_rows rows (default 10000). ' +
      'The rows must hold the features the server takes, in the form the model was trained on (extra columns are ignored). Answers the statuses, ' +
      'the predictions\' counts, round-trip latency percentiles and the request log the app wrote (the current data for detect_drift).',
    input: sendInput,
    risk: 'execute',
    confirmation: (input) => `Send the rows of ${input.data} to the local model server${input.server ? ` ${input.server}` : ''} (its model predicts them and its request log records them)`,
    approvalScope: async (input, context) => `${await context.files.identity(await context.files.resolve(input.data))}\n${input.server ?? ''}`,
    async run(input, context, signal) {
      const data = await context.files.resolve(input.data);
      if (!formatOfPath(data)) throw new ToolInputError(`${input.data} is not a data file send_requests reads (.csv, .tsv, .parquet, .jsonl, .ndjson, .arrow).`);
      if (!existsSync(data)) throw new ToolInputError(`${input.data} does not exist.`);
      const target = pickRunning(deps.servers, input.server);
      const source = new FileDatasetSource(data, (deps.engine ?? (() => sharedDataEngine()))());
      try {
        const log = join(target.server.options.appDir, REQUEST_LOG_FILE);
        const before = await lineCount(log);
        const sent = await sendRows(source, target.server, { maxRows: input.max_rows ?? 10_000, batchSize: input.batch_size ?? 50, concurrency: input.concurrency ?? 4 }, signal);
        const predicted = [...sent.predictions.values()].reduce((a, b) => a + b, 0);
        const logged = await settledLineCount(log, before + predicted, signal);
        const ok = sent.statuses.get(200) ?? 0;
        const statuses = [...sent.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${n} × ${s === 0 ? 'no answer' : s}`).join(', ');
        const predictions = [...sent.predictions].sort((a, b) => b[1] - a[1]);
        const lines = [
          `Sent ${sent.sentRows} of the ${sent.fileRows} rows of ${input.data} to ${target.name} (${target.server.url}) in ${sent.requests} requests of up to ${input.batch_size ?? 50} rows, ${input.concurrency ?? 4} at a time, in ${sent.seconds.toFixed(1)} s: ${statuses}.`,
          ...(sent.firstError ? [`First failed request: ${sent.firstError}`] : []),
          ...(predictions.length ? [predictions.length <= 20 ? `Predictions: ${predictions.map(([p, n]) => `${p}: ${n}`).join(', ')}.` : `Predictions: ${predictions.length} distinct values.`] : []),
          ...(sent.latenciesMs.length ? [`Round trip per request (client side): p50 ${quantile(sent.latenciesMs, 0.5).toFixed(1)} ms, p95 ${quantile(sent.latenciesMs, 0.95).toFixed(1)} ms, max ${sent.latenciesMs.at(-1)!.toFixed(1)} ms.`] : []),
          `Request log: ${context.files.display(log)} holds ${logged} rows (every row the app predicted since it started logging): give it to detect_drift as current.`,
        ];
        return { content: lines.join('\n'), summary: `${ok}/${sent.requests} requests answered`, ...(ok === 0 ? { isError: true } : {}) };
      } finally {
        await source.dispose();
      }
    },
  });
}

/** Lines in a file, read in chunks off the host's thread (a request log may hold 20 MB). */
async function lineCount(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

/**
 * The request log's line count once the app's log thread has written what the last requests
 * queued: it writes in batches every REQUEST_LOG_FLUSH_SECONDS, so a count taken as the last reply
 * arrives misses them. Read until the rows predicted are there, or the count has not changed for a
 * second (a rotated or switched-off log never gets there), at most 5 s.
 */
async function settledLineCount(path: string, expected: number, signal: AbortSignal): Promise<number> {
  const quietMs = Math.max(1000, REQUEST_LOG_FLUSH_SECONDS * 1000 * 5);
  const deadline = Date.now() + 5000;
  let count = await lineCount(path);
  let since = Date.now();
  while (count < expected && Date.now() < deadline && Date.now() - since < quietMs && !signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await lineCount(path);
    if (next !== count) {
      count = next;
      since = Date.now();
    }
  }
  return count;
}
