import * as z from 'zod/mini';
import type { ColumnSummary, DatasetInfo, DatasetPage, DatasetView, LabelBalance } from './datasetSource';
import type { CodeLanguage } from './copyAsCode';
import type { DatasetComparison } from './engine/compareFiles';

export type { DatasetComparison };

// Messages between the Dataset grid (media/data/) and the extension host (src/data/vscode/). The
// webview imports the types only; the host checks every incoming message with `parseFromDataView`.
// The page owns the view (filters and sort) and numbers each one it sends (`gen`); every request
// carries the number of the view it was made for, and answers for an older view are dropped.

export type { CodeLanguage };

/** Where the grid's rows come from, in words for its header. */
export interface DatasetHeading {
  readonly title: string;
  /** "file" or "kernel": the page offers Compare with… for files only. */
  readonly kind: 'file' | 'kernel';
  readonly canCompare: boolean;
  readonly canCopyCode: boolean;
}

export type ToDataView =
  | { readonly type: 'heading'; readonly heading: DatasetHeading }
  | { readonly type: 'info'; readonly gen: number; readonly info: DatasetInfo }
  | { readonly type: 'page'; readonly gen: number; readonly id: number; readonly page: DatasetPage }
  | { readonly type: 'summary'; readonly gen: number; readonly id: number; readonly summary: ColumnSummary }
  | { readonly type: 'balance'; readonly gen: number; readonly id: number; readonly balance: LabelBalance }
  | { readonly type: 'comparison'; readonly comparison: DatasetComparison }
  /** A request failed (or the view could not be applied: id absent); the message is for people. */
  | { readonly type: 'failed'; readonly gen: number; readonly id?: number; readonly message: string }
  /** A short confirmation ("Copied 3 rows") or a failed action (copy, compare), shown in the status line. */
  | { readonly type: 'notice'; readonly text: string; readonly error?: boolean }
  /** The data changed on disk (or in the kernel): the page asks for its view again. */
  | { readonly type: 'changed' };

/** The most rows one page request may ask for, and one copy. */
export const MAX_PAGE_ROWS = 1000;
export const MAX_COPY_ROWS = 10_000;

const name = z.string().check(z.minLength(1), z.maxLength(10_000));
const cell = z.union([z.string().check(z.maxLength(100_000)), z.number(), z.boolean(), z.null()]);
const count = z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
const id = z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));

const filter = z.discriminatedUnion('op', [
  z.strictObject({ column: name, op: z.literal('range'), min: z.optional(cell), max: z.optional(cell) }),
  z.strictObject({ column: name, op: z.literal('equals'), value: cell }),
  z.strictObject({ column: name, op: z.literal('contains'), text: z.string().check(z.maxLength(10_000)), caseSensitive: z.optional(z.boolean()) }),
  z.strictObject({ column: name, op: z.literal('isNull'), negate: z.optional(z.boolean()) }),
  z.strictObject({ column: name, op: z.literal('topK'), k: z.int().check(z.minimum(1), z.maximum(10_000)) }),
]);

const view = z.strictObject({
  filters: z.array(filter).check(z.maxLength(100)),
  sort: z.array(z.strictObject({ column: name, descending: z.boolean() })).check(z.maxLength(100)),
});

export const fromDataViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('view'), gen: id, view }),
  z.strictObject({ type: z.literal('rows'), gen: id, id, offset: count, limit: z.int().check(z.minimum(1), z.maximum(MAX_PAGE_ROWS)) }),
  z.strictObject({ type: z.literal('summarize'), gen: id, id, column: name }),
  z.strictObject({ type: z.literal('balance'), gen: id, id, column: name }),
  z.strictObject({ type: z.literal('cancel'), ids: z.array(id).check(z.maxLength(10_000)) }),
  /**
   * Copies rows [offset, offset + count) of the view as tab-separated text; `columns` null for all.
   * `selected`: the rows picked, when more than a copy takes (the notice says only the first were copied).
   */
  z.strictObject({
    type: z.literal('copyRows'),
    gen: id,
    offset: count,
    count: z.int().check(z.minimum(1), z.maximum(MAX_COPY_ROWS)),
    selected: z.optional(count),
    columns: z.nullable(z.array(name).check(z.minLength(1), z.maxLength(100_000))),
    header: z.boolean(),
  }),
  z.strictObject({ type: z.literal('copyCode'), gen: id, language: z.enum(['pandas', 'polars', 'sql']) }),
  /**
   * Compare with… (compareFiles.ts): `target` is the grid's target column (left out of the row key,
   * its conflicts counted); `keyColumns`, the key chosen in the comparison card, compares again with
   * the file compared last.
   */
  z.strictObject({ type: z.literal('compare'), target: z.optional(name), keyColumns: z.optional(z.array(name).check(z.minLength(1), z.maxLength(10_000))) }),
]);

type ParsedFromDataView = z.infer<typeof fromDataViewSchema>;
/** What the page asks of a comparison (the compare message less its type). */
export interface CompareRequest {
  readonly target?: string;
  readonly keyColumns?: readonly string[];
}
/** As the schema reads it, with the view typed as the contract spells it (the same shape, read-only). */
export type FromDataView = Exclude<ParsedFromDataView, { type: 'view' }> | { readonly type: 'view'; readonly gen: number; readonly view: DatasetView };

/** The message, or undefined for anything else a page may post. */
export function parseFromDataView(raw: unknown): FromDataView | undefined {
  const parsed = fromDataViewSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
