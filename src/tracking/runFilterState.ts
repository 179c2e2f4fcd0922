import type { RunRecord } from './runModel';
import { filterRuns } from './runQuery';
import { listedMetric, parseRunQuery, queryNotes, rangeMetrics, RunQueryError, type MetricLookup, type RunQuery } from './runFilter';

// The one run filter the Experiments tree and the runs table share: what was typed, what it
// parsed to, and, when the last text typed could not be read, why (the filter before it stays).

export class RunFilterState {
  private current = '';
  private parsed: RunQuery | undefined;
  private rejection: { text: string; error: string } | undefined;

  /** The text of the filter in force ('' for none). */
  get text(): string {
    return this.current;
  }

  get query(): RunQuery | undefined {
    return this.parsed;
  }

  /** The last text that could not be read and why, until a filter that can is set. */
  get rejected(): { readonly text: string; readonly error: string } | undefined {
    return this.rejection;
  }

  /** Sets the filter; when the text cannot be read, keeps the one in force and returns why. */
  set(text: string): string | undefined {
    const trimmed = text.trim();
    try {
      this.parsed = trimmed ? parseRunQuery(trimmed) : undefined;
    } catch (error) {
      if (!(error instanceof RunQueryError)) throw error;
      this.rejection = { text: trimmed, error: error.message };
      return error.message;
    }
    this.current = trimmed;
    this.rejection = undefined;
    return undefined;
  }

  /** Metrics whose min() or max() the filter reads. */
  rangeMetrics(): string[] {
    return this.parsed ? rangeMetrics(this.parsed) : [];
  }

  apply(runs: readonly RunRecord[], metric: MetricLookup = listedMetric): RunRecord[] {
    return filterRuns(runs, { ...(this.parsed ? { query: this.parsed } : {}), metric });
  }

  /** What stands out about the filter over these runs (names none of them has). */
  notes(runs: readonly RunRecord[], metric: MetricLookup = listedMetric): string[] {
    return this.parsed ? queryNotes(runs.filter((r) => !r.deleted), this.parsed, metric) : [];
  }

  /**
   * The tree's message row: why a filter was refused, else how many runs the filter keeps and
   * what stands out; undefined without a filter.
   */
  message(runs: readonly RunRecord[], metric: MetricLookup = listedMetric): string | undefined {
    if (this.rejection) return `Filter “${clip(this.rejection.text)}” not applied. ${this.rejection.error}`;
    if (!this.parsed) return undefined;
    const all = runs.filter((r) => !r.deleted).length;
    const shown = this.apply(runs, metric).length;
    const notes = this.notes(runs, metric);
    const count = shown === 0 ? `No runs match “${clip(this.current)}”` : `${shown} of ${all} run${all === 1 ? '' : 's'} match “${clip(this.current)}”`;
    return notes.length ? `${count}: ${notes.join('; ')}.` : `${count}.`;
  }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
