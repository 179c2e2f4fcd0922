import { EMPTY_VIEW, type Cell, type DatasetSource } from '../data/datasetSource';
import type { LocalModelServer } from './localServer';

// send_requests' work: rows of a data file (read by the data engine, as describe_dataset reads
// them) posted to a served app's POST /predict as {"instances": [{column: value, ...}, ...]},
// in batches, a few at a time; what came back counted: statuses, predictions, round-trip times.
// The app itself logs each predicted row (requestLogText.ts): that log is the drift check's input.

export interface SendOptions {
  /** Rows sent at most (the file's first rows). */
  readonly maxRows: number;
  readonly batchSize: number;
  readonly concurrency: number;
}

export interface SendResult {
  readonly fileRows: number;
  readonly sentRows: number;
  readonly requests: number;
  /** HTTP status → requests. */
  readonly statuses: ReadonlyMap<number, number>;
  /** Prediction (as JSON text) → rows, for the answered requests. */
  readonly predictions: ReadonlyMap<string, number>;
  /** Each request's round trip in ms, sorted. */
  readonly latenciesMs: readonly number[];
  /** The first failed request's status and the start of its body (the app's detail). */
  readonly firstError?: string;
  readonly seconds: number;
}

/** Rows read per page from the file. */
const PAGE_ROWS = 2000;

/** The file's first `maxRows` rows as {column: value} objects (what /predict takes), and how many the file holds. */
export async function readRows(source: DatasetSource, maxRows: number, signal: AbortSignal): Promise<{ fileRows: number; rows: Record<string, Cell>[] }> {
  const info = await source.info(EMPTY_VIEW, signal);
  const names = info.columns.map((c) => c.name);
  const wanted = Math.min(info.totalRows, maxRows);
  const rows: Record<string, Cell>[] = [];
  for (let offset = 0; offset < wanted; offset += PAGE_ROWS) {
    const page = await source.rows(EMPTY_VIEW, offset, Math.min(PAGE_ROWS, wanted - offset), signal);
    for (const row of page.rows) rows.push(Object.fromEntries(names.map((name, i) => [name, row[i] ?? null])));
    if (page.rows.length === 0) break;
  }
  return { fileRows: info.totalRows, rows };
}

/** Rows in request bodies of up to `batchSize` rows: {"instances": [row, ...]}. */
export function batchesOf<T>(rows: readonly T[], batchSize: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < rows.length; i += batchSize) batches.push(rows.slice(i, i + batchSize));
  return batches;
}

export async function sendRows(source: DatasetSource, server: LocalModelServer, options: SendOptions, signal: AbortSignal): Promise<SendResult> {
  const started = performance.now();
  const { fileRows, rows } = await readRows(source, options.maxRows, signal);
  const batches = batchesOf(rows, options.batchSize);

  const statuses = new Map<number, number>();
  const predictions = new Map<string, number>();
  const latencies: number[] = [];
  let firstError: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      if (signal.aborted) throw new Error('send_requests was cancelled');
      const batch = batches[next++]!;
      const t0 = performance.now();
      // A request that got no answer (refused, timed out) counts as status 0 with its error.
      const reply = await server.call('/predict', JSON.stringify({ instances: batch })).catch((error: unknown) => ({ status: 0, body: error instanceof Error ? error.message : String(error) }));
      latencies.push(performance.now() - t0);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status !== 200) {
        firstError ??= `${reply.status} ${reply.body.slice(0, 400)}`;
        continue;
      }
      const answered = predictionsOf(reply.body);
      for (const p of answered) predictions.set(p, (predictions.get(p) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, batches.length)) }, worker));
  return {
    fileRows,
    sentRows: rows.length,
    requests: batches.length,
    statuses,
    predictions,
    latenciesMs: latencies.sort((a, b) => a - b),
    ...(firstError ? { firstError } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

function predictionsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { predictions?: unknown };
    return Array.isArray(parsed.predictions) ? parsed.predictions.map((p) => JSON.stringify(p)) : [];
  } catch {
    return [];
  }
}

/** The q-th quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
