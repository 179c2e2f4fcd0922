import * as z from 'zod/mini';

// Messages between the runs table webview (media/runs/) and the extension host. The webview
// imports the types only; the host checks each incoming message with `parseFromRunsView`.

export interface RunsTableColumn {
  readonly kind: 'metric' | 'param';
  readonly key: string;
}

/**
 * A metric cell: its last value, 'NaN' / 'inf' / '-inf' for values JSON cannot carry, null where
 * the run has no such metric. A param cell: its text, or null.
 */
export type RunsTableCell = number | string | null;

export interface RunsTableRow {
  readonly key: string;
  readonly name: string;
  readonly status: string;
  readonly source: string;
  readonly experiment: string;
  /** Milliseconds since the epoch. */
  readonly started: number | null;
  /** Milliseconds, for finished runs. */
  readonly duration: number | null;
  readonly problems: number;
  /** One per column of `columns`, in that order. */
  readonly cells: readonly RunsTableCell[];
}

export interface ColumnChoice {
  readonly key: string;
  /** Runs that have it. */
  readonly count: number;
}

export type ToRunsView =
  | {
      readonly type: 'data';
      /** The filter the rows were chosen by (shared with the Experiments tree). */
      readonly filter: string;
      /** Why the filter text last sent could not be read; the rows are those of the filter before it. */
      readonly filterError: string | null;
      /**
       * The `seq` of the last filter text the page sent that the host has set or refused (0: none
       * yet). `filterError` is about that text: the page shows it only when it has sent none since.
       */
      readonly filterSeq: number;
      /** What stands out about the filter (names no run has). */
      readonly notes: readonly string[];
      /** Runs before filtering. */
      readonly total: number;
      readonly columns: readonly RunsTableColumn[];
      /** Per column: which way is better for a metric (sorting best first), null for params and metrics without a direction. */
      readonly directions: readonly ('lower' | 'higher' | null)[];
      readonly rows: readonly RunsTableRow[];
      readonly metrics: readonly ColumnChoice[];
      readonly params: readonly ColumnChoice[];
    }
  | { readonly type: 'filterError'; readonly text: string; readonly error: string; readonly seq: number };

const runKey = z.string().check(z.minLength(1), z.maxLength(4000));
const column = z.strictObject({ kind: z.enum(['metric', 'param']), key: z.string().check(z.minLength(1), z.maxLength(1000)) });

export const fromRunsViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  // seq: the page numbers the texts it sends (1, 2, ...), so an answer about an older one is known as such.
  z.strictObject({ type: z.literal('filter'), text: z.string().check(z.maxLength(4000)), seq: z.int().check(z.minimum(0)) }),
  z.strictObject({ type: z.literal('columns'), columns: z.array(column).check(z.maxLength(200)) }),
  z.strictObject({ type: z.literal('reveal'), key: runKey }),
  z.strictObject({ type: z.literal('compare'), keys: z.array(runKey).check(z.minLength(1), z.maxLength(50)) }),
]);

export type FromRunsView = z.infer<typeof fromRunsViewSchema>;

/** The message, or undefined for anything else a page may post. */
export function parseFromRunsView(raw: unknown): FromRunsView | undefined {
  const parsed = fromRunsViewSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
