// Messages between the model graph webview (media/graph/) and the extension host. The host
// checks every incoming message with parseFromGraphView: a webview is untrusted.
import * as z from 'zod/mini';
import type { ModelGraph, TensorStatistics } from './graphData';
import type { Unit, UnitLayout } from './layoutPlan';

export type ToGraphView =
  | { readonly type: 'graph'; readonly graph: ModelGraph; readonly readMs: number }
  | { readonly type: 'error'; readonly path: string; readonly message: string }
  | { readonly type: 'layout'; readonly id: number; readonly layouts?: Record<string, UnitLayout>; readonly error?: string }
  | { readonly type: 'stats'; readonly tensor: string; readonly stats?: TensorStatistics; readonly error?: string };

const id = z.string().check(z.maxLength(4000));
const size = z.number().check(z.minimum(0), z.maximum(1_000_000));
/** A layout request: what the view shows (a few hundred items at most in practice; capped against a hostile page). */
const unitSchema = z.strictObject({
  id,
  nodes: z.array(z.strictObject({ id, width: size, height: size, unit: z.optional(id) })).check(z.maxLength(20_000)),
  edges: z.array(z.strictObject({ from: id, to: id })).check(z.maxLength(50_000)),
});

const fromGraphViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  /** Lay out these units (layoutPlan.ts) in the models worker. */
  z.strictObject({ type: z.literal('layout'), id: z.number().check(z.int()), units: z.array(unitSchema).check(z.maxLength(2_000)) }),
  /** Statistics of an initializer's values, named as the graph names it. */
  z.strictObject({ type: z.literal('stats'), tensor: z.string().check(z.minLength(1), z.maxLength(4000)) }),
  /** Open the model viewer's summary of the same file. */
  z.strictObject({ type: z.literal('summary') }),
  /** The view drew its first picture (for the first-paint figure in the log and the bench). */
  z.strictObject({ type: z.literal('painted'), ms: z.number(), items: z.number() }),
]);

type Parsed = z.infer<typeof fromGraphViewSchema>;
/** As parsed, with the layout request's units typed as layoutPlan makes them (read-only). */
export type FromGraphView = Exclude<Parsed, { type: 'layout' }> | { readonly type: 'layout'; readonly id: number; readonly units: readonly Unit[] };

export function parseFromGraphView(raw: unknown): FromGraphView | undefined {
  const result = fromGraphViewSchema.safeParse(raw);
  return result.success ? result.data : undefined;
}
