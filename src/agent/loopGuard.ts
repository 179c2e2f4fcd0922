/**
 * Notices the agent calling the same tool with the same input again and again (a loop that
 * burns money without progress). Counts within one user turn.
 */
export class LoopGuard {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit = 3) {}

  /** Records a call; true when this exact call has now been made `limit` times. */
  record(name: string, input: unknown): boolean {
    const key = `${name}\u0000${stableJson(input)}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count >= this.limit;
  }

  reset(): void {
    this.counts.clear();
  }
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
