import * as z from 'zod/mini';
import type { ColumnSummary } from './datasetSource';

// What a summary store file (summaryStore.ts) must hold to be believed. The file lives in the
// user's storage, where anything (a crash, another version, a hand edit) may have written it:
// every field the grid's card reads is checked here, so a bad entry is a cache miss, never a
// card that throws. Unknown fields are kept, not refused: a field added to ColumnSummary after
// this schema still reaches the card as the engine wrote it.

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const count = z.number().check(z.minimum(0));
const kind = z.enum(['integer', 'float', 'decimal', 'boolean', 'string', 'date', 'timestamp', 'time', 'interval', 'binary', 'nested', 'other']);

const summary = z.looseObject({
  column: z.string(),
  kind,
  type: z.string(),
  count,
  nulls: count,
  distinct: count,
  distinctApproximate: z.boolean(),
  distinctError: z.optional(z.number()),
  min: z.optional(cell),
  max: z.optional(cell),
  mean: z.optional(z.number()),
  std: z.optional(z.number()),
  quantiles: z.optional(z.array(z.object({ p: z.number(), value: cell }))),
  quantilesApproximate: z.optional(z.boolean()),
  histogram: z.optional(z.object({ edges: z.array(cell), counts: z.array(count), endsWidened: z.optional(z.boolean()) })),
  sampledRows: z.optional(count),
  sampledValues: z.optional(count),
  topValues: z.optional(z.array(z.object({ value: cell, count }))),
  topValuesApproximate: z.optional(z.boolean()),
  uniqueInSample: z.optional(count),
  uniqueAs: z.optional(z.enum(['identifier', 'long text', 'timestamps'])),
});

/** What a full read of the file settled (fileDatasetSource.ts KnownInfo): a reopen counts nothing with it. */
const column = z.object({ name: z.string(), type: z.string(), kind });
const info = z.object({
  totalRows: count,
  columns: z.array(column),
  textColumns: z.array(z.string()),
  sniffed: z.optional(
    z.object({
      delimiter: z.string(),
      quote: z.string(),
      escape: z.string(),
      newLine: z.string(),
      comment: z.string(),
      header: z.boolean(),
      columns: z.array(z.object({ name: z.string(), type: z.string() })),
      dateFormat: z.optional(z.string()),
      timestampFormat: z.optional(z.string()),
    }),
  ),
  notes: z.array(z.string()),
});

export type StoredInfo = z.infer<typeof info>;

/** One data file's summaries (and its info), for one version of it; `used` orders the entries for eviction. */
const storeFile = z.object({
  store: z.literal(1),
  version: z.string(),
  info: z.optional(z.unknown()),
  entries: z.array(z.object({ key: z.string(), used: z.number(), summary: z.unknown() })),
});

export type StoreFile = z.infer<typeof storeFile>;

/** The file's shape, or undefined; its entries' summaries are checked one by one (storedSummary). */
export function parseStoreFile(raw: unknown): StoreFile | undefined {
  const parsed = storeFile.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The summary, when it has the shape the card reads. */
export function storedSummary(raw: unknown): ColumnSummary | undefined {
  const parsed = summary.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The file's info, when it has the shape a source can open the file with. */
export function storedInfo(raw: unknown): StoredInfo | undefined {
  const parsed = info.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
