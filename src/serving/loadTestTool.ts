import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../agent/tools/tool';
import { workerScript } from '../common/worker/workerScript';
import { sharedDataEngine } from '../data/engine/engineClient';
import { FileDatasetSource } from '../data/engine/fileDatasetSource';
import { formatOfPath } from '../data/engine/fileRelation';
import { formatMs } from '../models/runtime/benchmarkReport';
import { loadTestInWorker } from './loadTestInWorker';
import { appendLoadTestRecord, LOAD_TEST_RECORD, servedModelFiles } from './loadTestRecord';
import { loadTestMarkdown } from './loadTestReport';
import { REQUEST_LOG_FILE } from './requestLogText';
import { batchesOf, readRows } from './requestSender';
import { sampleBody } from './sampleRequest';
import { pickRunning } from './serverPick';
import type { ServingToolDeps } from './servingTools';

// The agent's Load Test (load_test): N requests at concurrency C (or started at a rate) against a
// server serve_locally started or the window serves, bounded by count and time, sent from the
// load-test worker thread (loadTest.ts through loadTestInWorker.ts) and said in the benchmark's words
// (loadTestReport.ts). An execute tool like send_requests, for the same reason: it makes the user's
// Python run the model on every request, and the app's request log records the rows. The result
// is kept in the app's logs/load_tests.jsonl (loadTestRecord.ts) for write_model_card.

/** Bounds of one agent call: a tool call is a measurement, not a soak test. */
export const AGENT_LOAD_LIMITS = { requests: 20_000, concurrency: 64, seconds: 120, rows: 10_000, ratePerSecond: 5_000 } as const;

const input = z.object({
  server: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  requests: z.optional(z.number().check(z.int(), z.positive(), z.maximum(AGENT_LOAD_LIMITS.requests))),
  concurrency: z.optional(z.number().check(z.int(), z.positive(), z.maximum(AGENT_LOAD_LIMITS.concurrency))),
  rate_per_second: z.optional(z.number().check(z.positive(), z.maximum(AGENT_LOAD_LIMITS.ratePerSecond))),
  duration_seconds: z.optional(z.number().check(z.positive(), z.maximum(AGENT_LOAD_LIMITS.seconds))),
  data: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
  rows_per_request: z.optional(z.number().check(z.int(), z.positive(), z.maximum(1000))),
  max_rows: z.optional(z.number().check(z.int(), z.positive(), z.maximum(AGENT_LOAD_LIMITS.rows))),
});
type Input = z.infer<typeof input>;

const DEFAULTS = { requests: 200, concurrency: 4, seconds: 30, rowsPerRequest: 1, maxRows: 1000 } as const;

export function loadTestTool(deps: ServingToolDeps & { readonly loadTestScript?: () => string }) {
  const script = deps.loadTestScript ?? (() => workerScript('loadTest', () => join(__dirname, 'lazy', 'loadTestWorker.ts')));
  return defineTool({
    name: 'load_test',
    description:
      'Load Test: sends `requests` POST /predict requests (default 200, at most 20000) with `concurrency` in flight (default 4), or started at `rate_per_second`, ' +
      'to a model server serve_locally started (`server`: its name or URL; the only one running by default), stopping at `duration_seconds` (default 30, at most 120). ' +
      'The body is the app\'s sample request, or, with `data`, the rows of a data file as send_requests sends them (`rows_per_request` rows each, default 1, cycled). ' +
      'Answers throughput, latency mean/p50/p95/p99 of the successful requests, errors by kind and what served them; the result is kept in the app\'s ' +
      'logs/load_tests.jsonl, where write_model_card finds the served latency of that model file. The requests\' rows also go to the app\'s request log: ' +
      'run detect_drift on the log before a load test, not after.',
    input,
    risk: 'execute',
    confirmation: (args) =>
      `Load test the local model server${args.server ? ` ${args.server}` : ''}: ${args.requests ?? DEFAULTS.requests} requests, ${args.concurrency ?? DEFAULTS.concurrency} at a time${args.rate_per_second ? `, ${args.rate_per_second}/s` : ''}, at most ${args.duration_seconds ?? DEFAULTS.seconds} s, with ${args.data ? `the rows of ${args.data}` : 'its sample request'} (its model predicts each; the result is saved in the app's ${LOAD_TEST_RECORD})`,
    approvalScope: async (args, context) => `${args.data ? await context.files.identity(await context.files.resolve(args.data)) : 'sample'}\n${args.server ?? ''}`,
    async run(args, context, signal) {
      const target = pickRunning(deps.servers, args.server);
      const body = await bodies(args, deps, target.server, context.files.resolve.bind(context.files), signal);
      const requests = args.requests ?? DEFAULTS.requests;
      const concurrency = args.concurrency ?? DEFAULTS.concurrency;
      const result = await loadTestInWorker(
        script(),
        { url: `${target.server.url}/predict`, token: target.server.token, loadTestKey: target.server.loadTestKey, bodies: body.bodies, requests, concurrency, durationMs: (args.duration_seconds ?? DEFAULTS.seconds) * 1000, ...(args.rate_per_second ? { ratePerSecond: args.rate_per_second } : {}) },
        signal,
      );
      const app = target.server.options.appDir;
      const text = [
        ...loadTestMarkdown(result).trim().split('\n'),
        '',
        `Body: ${body.said}.`,
        `Runtime: uvicorn with ${target.server.options.python}, serving ${context.files.display(join(app, `${target.server.options.module}.py`))} on 127.0.0.1; ML Engineer's client in a worker thread on the same machine.`,
      ].join('\n');
      let saved: string;
      try {
        const record = await appendLoadTestRecord(app, { at: new Date().toISOString(), server: target.name, url: target.server.url, models: await servedModelFiles(app), text });
        saved = `Saved in ${context.files.display(record)} (write_model_card cites the latest load test of the model file served).`;
      } catch (error) {
        saved = `The result was not saved (${(error as Error).message}).`;
      }
      const lines = [
        text,
        '',
        saved,
        `The app's request log (${context.files.display(join(app, REQUEST_LOG_FILE))}) now also holds the ${result.ok} answered requests' rows, marked as a load test's: drift leaves them out.`,
      ];
      const failed = result.sent - result.ok;
      return {
        content: lines.join('\n'),
        summary: `${result.ok}/${result.sent} ok${result.latency ? `, p95 ${formatMs(result.latency.p95Ms)} ms` : ''}${failed ? `, ${failed} failed` : ''}`,
        ...(result.ok === 0 ? { isError: true } : {}),
      };
    },
  });
}

/** The request bodies: the data file's rows in batches (as send_requests sends them), else the app's sample request. */
async function bodies(args: Input, deps: ServingToolDeps, server: Parameters<typeof sampleBody>[0], resolve: (p: string) => Promise<string>, signal: AbortSignal): Promise<{ bodies: string[]; said: string }> {
  if (!args.data) {
    const sample = await sampleBody(server);
    if (!sample) throw new ToolInputError(`The app in ${server.options.appDir} has no sample request (sample_request.json, or the scikit-learn app's /metadata): give a data file in data.`);
    return { bodies: [sample], said: "the app's sample request, in every request" };
  }
  const path = await resolve(args.data);
  if (!formatOfPath(path)) throw new ToolInputError(`${args.data} is not a data file load_test reads (.csv, .tsv, .parquet, .jsonl, .ndjson, .arrow).`);
  if (!existsSync(path)) throw new ToolInputError(`${args.data} does not exist.`);
  const source = new FileDatasetSource(path, (deps.engine ?? (() => sharedDataEngine()))());
  try {
    const { fileRows, rows } = await readRows(source, args.max_rows ?? DEFAULTS.maxRows, signal);
    if (rows.length === 0) throw new ToolInputError(`${args.data} holds no rows.`);
    const per = args.rows_per_request ?? DEFAULTS.rowsPerRequest;
    return { bodies: batchesOf(rows, per).map((batch) => JSON.stringify({ instances: batch })), said: `the first ${rows.length} of the ${fileRows} rows of ${args.data}, ${per} per request, in turn` };
  } finally {
    await source.dispose();
  }
}
