import { Agent, request as httpRequest } from 'node:http';
import { latencyStats, type LatencyStats } from '../models/runtime/benchmarkStats';
import { LOAD_TEST_HEADER } from './requestLogText';

// A load test against a served model from our own client: `requests` POSTs at `concurrency` in
// flight (closed loop), or started at `ratePerSecond` (open loop, still at most `concurrency` in
// flight), stopped at the count or at `durationMs`, whichever comes first, or when cancelled.
// Keep-alive connections, one per concurrent request, as `hey` does. Latency is from the request's
// start to the last byte of the answer; throughput is answered requests over the wall time.
// Every request carries LOAD_TEST_HEADER with the server's load-test key: the app logs its rows as the
// load test's, and drift leaves them out (without the key they are traffic: requestLogText.ts).

export interface LoadTestSpec {
  /** The endpoint, e.g. http://127.0.0.1:8000/predict. */
  readonly url: string;
  readonly token?: string;
  /** The served app's load-test key (LocalModelServer.loadTestKey): its rows are then the load test's, not traffic. */
  readonly loadTestKey?: string;
  /** Request bodies (JSON), sent in turn. */
  readonly bodies: readonly string[];
  readonly concurrency: number;
  readonly requests: number;
  readonly durationMs: number;
  readonly ratePerSecond?: number;
  /** A request with no answer after this long counts as a timeout (default 30 s). */
  readonly timeoutMs?: number;
}

export type LoadStop = 'count' | 'time' | 'cancelled';

export interface LoadTestResult {
  readonly url: string;
  readonly concurrency: number;
  readonly ratePerSecond?: number;
  readonly sent: number;
  readonly ok: number;
  /** Failed requests by kind: "HTTP 422", "timeout", "connection refused", … */
  readonly errors: Readonly<Record<string, number>>;
  readonly wallMs: number;
  /** Answered requests (ok or not) per second of wall time. */
  readonly throughput: number;
  /** Latency of the successful requests (undefined when none succeeded). */
  readonly latency?: LatencyStats;
  /** Each answered request: ms since the start, its latency, and 1 if it succeeded else 0 (the chart; at most 2,000, evenly thinned). */
  readonly timeline: readonly (readonly [number, number, 0 | 1])[];
  readonly stop: LoadStop;
}

export const LOAD_LIMITS = { maxRequests: 1_000_000, maxConcurrency: 1024, maxDurationMs: 600_000 } as const;
const TIMELINE_POINTS = 2000;

export function checkSpec(spec: LoadTestSpec): void {
  if (!/^https?:\/\//.test(spec.url)) throw new Error(`not an http(s) URL: ${spec.url}`);
  if (spec.bodies.length === 0) throw new Error('no request body to send');
  const whole = (n: number, max: number, what: string): void => {
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${what} must be a whole number from 1 to ${max}`);
  };
  whole(spec.concurrency, LOAD_LIMITS.maxConcurrency, 'concurrency');
  whole(spec.requests, LOAD_LIMITS.maxRequests, 'requests');
  whole(spec.durationMs, LOAD_LIMITS.maxDurationMs, 'duration (ms)');
  if (spec.ratePerSecond !== undefined && !(spec.ratePerSecond > 0)) throw new Error('rate must be above 0 requests/s');
}

function errorKind(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return 'connection reset';
  if (error.message === 'timeout') return 'timeout';
  return error.code ?? error.message;
}

export async function runLoadTest(spec: LoadTestSpec, signal?: AbortSignal, onProgress?: (answered: number, elapsedMs: number) => void): Promise<LoadTestResult> {
  checkSpec(spec);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(spec.loadTestKey ? { [LOAD_TEST_HEADER]: spec.loadTestKey } : {}) };
  if (spec.token) headers.authorization = `Bearer ${spec.token}`;
  const bodies = spec.bodies.map((b) => Buffer.from(b));
  const timeoutMs = spec.timeoutMs ?? 30_000;
  const latencies: number[] = [];
  const timeline: [number, number, 0 | 1][] = [];
  const errors: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  let stop: LoadStop = 'count';
  const started = performance.now();
  const deadline = started + spec.durationMs;
  let lastProgress = started;

  const once = (body: Buffer): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const done = (kind: string | undefined): void => {
        const t1 = performance.now();
        answered++;
        if (kind) errors[kind] = (errors[kind] ?? 0) + 1;
        else latencies.push(t1 - t0);
        timeline.push([t0 - started, t1 - t0, kind ? 0 : 1]);
        if (onProgress && t1 - lastProgress > 250) {
          lastProgress = t1;
          onProgress(answered, t1 - started);
        }
        resolve();
      };
      const req = httpRequest(spec.url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) }, timeout: timeoutMs }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => done(res.statusCode && res.statusCode < 400 ? undefined : `HTTP ${res.statusCode ?? '?'}`));
        res.on('error', (e: NodeJS.ErrnoException) => done(errorKind(e)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => done(errorKind(e)));
      req.end(body);
    });

  const worker = async (): Promise<void> => {
    for (;;) {
      if (signal?.aborted) return void (stop = 'cancelled');
      if (sent >= spec.requests) return;
      const now = performance.now();
      if (now >= deadline) return void (stop = 'time');
      const index = sent++;
      if (spec.ratePerSecond) {
        const slot = started + (index * 1000) / spec.ratePerSecond;
        if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
        if (signal?.aborted || performance.now() >= deadline) {
          sent--;
          if (signal?.aborted) stop = 'cancelled';
          else stop = 'time';
          return;
        }
      }
      await once(bodies[index % bodies.length]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.requests) }, worker));
  } finally {
    agent.destroy();
  }
  const wallMs = performance.now() - started;
  const step = Math.max(1, Math.ceil(timeline.length / TIMELINE_POINTS));
  return {
    url: spec.url,
    concurrency: spec.concurrency,
    ...(spec.ratePerSecond ? { ratePerSecond: spec.ratePerSecond } : {}),
    sent,
    ok: latencies.length,
    errors,
    wallMs,
    throughput: (answered * 1000) / wallMs,
    ...(latencies.length ? { latency: latencyStats(latencies) } : {}),
    timeline: timeline.filter((_, i) => i % step === 0),
    stop,
  };
}
