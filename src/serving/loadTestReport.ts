import { formatMs, formatRate } from '../models/runtime/benchmarkReport';
import type { LoadTestResult } from './loadTest';

// A load test in words, with the benchmark report's numbers and words (formatMs, formatRate, mean,
// p50/p95/p99): a latency reads the same in a benchmark and in a load test.

const STOPS = { count: 'all requests answered', time: 'stopped at the time limit', cancelled: 'cancelled' } as const;

export function errorsText(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([kind, n]) => `${n} × ${kind}`).join(', ') : 'none';
}

export function loadTestLine(r: LoadTestResult): string {
  const failed = r.sent - r.ok;
  const latency = r.latency ? `mean ${formatMs(r.latency.meanMs)} ms, p50 ${formatMs(r.latency.p50Ms)}, p95 ${formatMs(r.latency.p95Ms)}, p99 ${formatMs(r.latency.p99Ms)} ms` : 'no successful request';
  return `${r.ok}/${r.sent} ok at concurrency ${r.concurrency}: ${formatRate(r.throughput)} requests/s; ${latency}; errors: ${failed > 0 ? errorsText(r.errors) : 'none'}`;
}

export function loadTestMarkdown(r: LoadTestResult): string {
  const l = r.latency;
  return [
    `# Load test of ${r.url}`,
    '',
    `${r.sent} requests, ${r.concurrency} in flight${r.ratePerSecond ? `, started at ${formatRate(r.ratePerSecond)}/s` : ''}; ${STOPS[r.stop]} after ${formatMs(r.wallMs / 1000)} s.`,
    '',
    '| | |',
    '| --- | ---: |',
    `| throughput | ${formatRate(r.throughput)} requests/s |`,
    `| ok | ${r.ok} |`,
    `| errors | ${errorsText(r.errors)} |`,
    ...(l
      ? [`| mean | ${formatMs(l.meanMs)} ms |`, `| p50 | ${formatMs(l.p50Ms)} ms |`, `| p95 | ${formatMs(l.p95Ms)} ms |`, `| p99 | ${formatMs(l.p99Ms)} ms |`, `| min | ${formatMs(l.minMs)} ms |`, `| max | ${formatMs(l.maxMs)} ms |`]
      : []),
    '',
    'Latency: from sending a request to the last byte of its answer, successful requests only; percentiles interpolated between ranks.',
    'Throughput: answered requests (ok or not) / wall time, from our client over keep-alive connections, one per request in flight.',
    '',
  ].join('\n');
}
