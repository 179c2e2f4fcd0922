import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// What the Deployments view says of a server beyond its process: a latency window (the last 2,000
// requests: every client's from the app's request log, requestLogLatency.ts, else the round trips
// this window sent, Serve Locally's sample and Load Test…'s answers), and
// the model file a generated app serves (its model/ folder; an ONNX model's external data beside it
// is not the model).

const KEPT = 2000;

export class LatencyWindow {
  private readonly samples: number[] = [];

  record(...ms: readonly number[]): void {
    for (const m of ms) if (Number.isFinite(m) && m >= 0) this.samples.push(m);
    if (this.samples.length > KEPT) this.samples.splice(0, this.samples.length - KEPT);
  }

  get count(): number {
    return this.samples.length;
  }

  /** Nearest-rank percentiles of the kept samples; undefined before any. */
  percentiles(): { p50: number; p95: number } | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
    return { p50: at(0.5), p95: at(0.95) };
  }

  /** "p50 3.1 ms · p95 8.0 ms (120 requests)", or "—" before any request. */
  text(): string {
    const p = this.percentiles();
    const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
    return p ? `p50 ${ms(p.p50)} · p95 ${ms(p.p95)} (${this.count} requests)` : '—';
  }
}

/** The model file a generated app serves: the first model file in its model/ folder, else undefined (an app of the user's own). */
export function servedModelFile(appDir: string): string | undefined {
  const dir = join(appDir, 'model');
  try {
    const files = readdirSync(dir).filter((f) => /\.(onnx|pt|pth|pkl|pickle|joblib)$/i.test(f) && statSync(join(dir, f)).isFile());
    return files.length ? join(dir, files.sort()[0]!) : undefined;
  } catch {
    return undefined;
  }
}
