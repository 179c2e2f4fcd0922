// Messages between the drift report view (media/drift/) and its panel (vscode/driftPanel.ts), one
// union each way. The host checks what the webview sends with zod (a webview is untrusted); the
// webview bundle imports only the types, so zod stays out of it.
import * as z from 'zod/mini';

/** Numbers: the engine's bins, the same edges for both sides; each side's share of its values per bin. */
export interface BinsChart {
  readonly kind: 'bins';
  /** One more than the bins; a constant column has one bin of zero width. */
  readonly edges: readonly number[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
  readonly referenceCounts: readonly number[];
  readonly currentCounts: readonly number[];
}

export interface CategoryBar {
  readonly label: string;
  /** Each side's share of its values (the other categories included). */
  readonly reference: number;
  readonly current: number;
  readonly referenceCount: number;
  readonly currentCount: number;
  /** A category seen on one side only: drawn with a mark, however small. */
  readonly only?: 'reference' | 'current';
}

/** Categories: the most frequent as grouped bars, the rest summed in `other`. */
export interface CategoriesChart {
  readonly kind: 'categories';
  readonly bars: readonly CategoryBar[];
  readonly other?: CategoryBar;
}

export interface DriftRowView {
  readonly column: string;
  readonly kind: 'numeric' | 'categorical';
  readonly drifted: boolean;
  /** The statistic's name (Kolmogorov-Smirnov, Jensen-Shannon distance, …). */
  readonly statistic: string;
  /** The statistic's value as shown (KS's D, chi-squared's χ², or the distance). */
  readonly value: string;
  /** When it says drift: "p < 0.05", "≥ 0.1". */
  readonly threshold: string;
  /** The p-value, for the tests that have one. */
  readonly pValue?: string;
  readonly counts: string;
  readonly chart: BinsChart | CategoriesChart;
}

export interface DriftView {
  readonly type: 'drift';
  readonly title: string;
  readonly datasetDrift: boolean;
  /** The verdict in one line (driftLine). */
  readonly verdict: string;
  readonly drifted: number;
  readonly compared: number;
  readonly driftedShare: number;
  readonly driftShare: number;
  readonly sizes: string;
  /** Drifted columns first, then by how far past (or short of) the threshold. */
  readonly rows: readonly DriftRowView[];
  readonly skipped: readonly { readonly column: string; readonly reason: string }[];
  readonly note: string;
}

export type ExportFormat = 'markdown' | 'json';

/** What an export came to: the file written, or nothing (the dialog was cancelled). */
export interface DriftExported {
  readonly type: 'exported';
  readonly format: ExportFormat;
  readonly path?: string;
  readonly error?: string;
}

export type ToDriftView = DriftView | DriftExported;

export const fromDriftViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('export'), format: z.enum(['markdown', 'json']) }),
]);

export type FromDriftView = z.infer<typeof fromDriftViewSchema>;

export function parseFromDriftView(message: unknown): FromDriftView | undefined {
  const parsed = fromDriftViewSchema.safeParse(message);
  return parsed.success ? parsed.data : undefined;
}
