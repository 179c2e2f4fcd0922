import type { MetricPoint, MetricSummary } from './runModel';

/** Points per chunk once a series is long; the first chunks are smaller (most tags have few points, and a CSV may have 100,000 columns of one value each). */
const MAX_CHUNK = 16384;

/**
 * A metric's points as chunks of interleaved (step, time, value) doubles (time NaN where the writer records none): 24 bytes a point
 * instead of an object each, so a live TensorBoard run with millions of scalars stays small, and
 * appending never copies what is there (chunks are added, not regrown). The summary is kept as
 * points arrive, so a re-read of a live run costs only its new points.
 */
export class ColumnSeries {
  private readonly chunks: Float64Array[] = [];
  private current = new Float64Array(0);
  private used = 0; // doubles used in `current`
  length = 0;
  private lastStep = 0;
  private lastTime = 0;
  private lastValue = 0;
  private min = Infinity;
  private max = -Infinity;

  push(step: number, time: number, value: number): void {
    if (this.used === this.current.length) {
      this.current = new Float64Array(3 * Math.min(MAX_CHUNK, 4 << Math.min(this.chunks.length, 12)));
      this.chunks.push(this.current);
      this.used = 0;
    }
    const c = this.current;
    const u = this.used;
    c[u] = step;
    c[u + 1] = time;
    c[u + 2] = value;
    this.used = u + 3;
    // Last by step; a tie goes to the later point (a resumed run logs a step again). NaN time: not recorded (Lightning CSV).
    if (this.length === 0 || step > this.lastStep || (step === this.lastStep && !(time < this.lastTime))) {
      this.lastStep = step;
      this.lastTime = time;
      this.lastValue = value;
    }
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.length++;
  }

  points(): MetricPoint[] {
    const out = new Array<MetricPoint>(this.length);
    let n = 0;
    for (const chunk of this.chunks) {
      const end = chunk === this.current ? this.used : chunk.length;
      for (let i = 0; i < end; i += 3) {
        const time = chunk[i + 1]!;
        out[n++] = Number.isNaN(time) ? { step: chunk[i]!, value: chunk[i + 2]! } : { step: chunk[i]!, time, value: chunk[i + 2]! };
      }
    }
    return out;
  }

  firstTime(): number | undefined {
    const time = this.length > 0 ? this.chunks[0]![1] : undefined;
    return time === undefined || Number.isNaN(time) ? undefined : time;
  }

  /** As `summarize`, without making points: last by step (ties: the later), min and max ignoring NaN. */
  summary(key: string): MetricSummary | undefined {
    if (this.length === 0) return undefined;
    const { min, max } = this;
    return { key, last: this.lastValue, lastStep: this.lastStep, ...(min <= max ? { min, max } : {}), count: this.length };
  }
}

/** Several files' summaries of one tag as one (a run restarted into a second event file). */
export function mergeSummaries(key: string, parts: readonly MetricSummary[]): MetricSummary | undefined {
  if (parts.length <= 1) return parts[0];
  let last = parts[0]!;
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  for (const p of parts) {
    if (p.lastStep >= last.lastStep) last = p;
    if (p.min !== undefined && p.min < min) min = p.min;
    if (p.max !== undefined && p.max > max) max = p.max;
    count += p.count ?? 0;
  }
  return { key, last: last.last, lastStep: last.lastStep, ...(min <= max ? { min, max } : {}), count };
}
