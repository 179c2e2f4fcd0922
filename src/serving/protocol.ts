// Messages between the load test chart (media/loadtest/) and its panel (vscode/loadTestPanel.ts),
// one union each way. The host checks what the webview sends with zod (a webview is untrusted);
// the webview bundle imports only the types, so zod stays out of it.
import * as z from 'zod/mini';

export interface LoadTestView {
  readonly type: 'loadTest';
  readonly title: string;
  /** The result in one line (loadTestLine). */
  readonly summary: string;
  /** Each answered request: seconds since the start, its latency in ms where it succeeded (else null), and where it failed (else null). */
  readonly t: readonly number[];
  readonly ok: readonly (number | null)[];
  readonly failed: readonly (number | null)[];
  /** Latency histogram of the successful requests: bin lower edges in ms, and counts. */
  readonly bins: readonly number[];
  readonly counts: readonly number[];
  readonly binMs: number;
  /** p50/p95/p99 in ms, drawn as lines over the histogram. */
  readonly marks: readonly { readonly label: string; readonly ms: number }[];
}

export type ToLoadTestView = LoadTestView;

export const fromLoadTestViewSchema = z.discriminatedUnion('type', [z.strictObject({ type: z.literal('ready') }), z.strictObject({ type: z.literal('openReport') })]);

export type FromLoadTestView = z.infer<typeof fromLoadTestViewSchema>;

export function parseFromLoadTestView(message: unknown): FromLoadTestView | undefined {
  const parsed = fromLoadTestViewSchema.safeParse(message);
  return parsed.success ? parsed.data : undefined;
}
