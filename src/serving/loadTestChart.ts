import type { LoadTestResult } from './loadTest';
import { loadTestLine } from './loadTestReport';
import type { LoadTestView } from './protocol';

// What the load test chart draws, from the result's timeline (at most 2,000 answers, evenly thinned):
// latency over the run, failures apart, and a histogram of the successful requests' latency in
// "nice" bins (1, 2 or 5 × 10^k ms), about 30 of them up to the 99th percentile, the rest in the last.

const TARGET_BINS = 30;

function niceWidth(span: number): number {
  const raw = Math.max(span / TARGET_BINS, 0.001);
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * power).find((w) => w >= raw) ?? 10 * power);
}

export function loadTestView(result: LoadTestResult, name: string): LoadTestView {
  const timeline = [...result.timeline].sort((a, b) => a[0] - b[0]);
  const latencies = timeline.filter(([, , ok]) => ok).map(([, ms]) => ms).sort((a, b) => a - b);
  const top = latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)]! : 0;
  const width = niceWidth(top);
  const binCount = latencies.length ? Math.floor(top / width) + 1 : 0;
  const counts = Array.from({ length: binCount }, () => 0);
  for (const ms of latencies) counts[Math.min(binCount - 1, Math.floor(ms / width))]!++;
  const l = result.latency;
  return {
    type: 'loadTest',
    title: `Load test: ${name}`,
    summary: loadTestLine(result),
    t: timeline.map(([t]) => Math.round(t) / 1000),
    ok: timeline.map(([, ms, ok]) => (ok ? ms : null)),
    failed: timeline.map(([, ms, ok]) => (ok ? null : ms)),
    bins: counts.map((_, i) => i * width),
    counts,
    binMs: width,
    marks: l ? [{ label: 'p50', ms: l.p50Ms }, { label: 'p95', ms: l.p95Ms }, { label: 'p99', ms: l.p99Ms }] : [],
  };
}
