// Messages between the model graph webview (media/graph/) and the extension host. The host
// checks every incoming message with parseFromGraphView: a webview is untrusted.
import * as z from 'zod/mini';
import type { ModelGraph, TensorStatistics } from './graphData';

/** What to show first: nodes of an operator, a tensor (its producer and consumers), a node by name, or a search. */
export interface GraphFocus {
  readonly kind: 'op' | 'tensor' | 'node' | 'search';
  readonly value: string;
}

export type ToGraphView =
  | { readonly type: 'graph'; readonly graph: ModelGraph; readonly focus?: GraphFocus }
  | { readonly type: 'error'; readonly path: string; readonly message: string }
  | { readonly type: 'focus'; readonly focus: GraphFocus }
  | { readonly type: 'stats'; readonly tensor: string; readonly stats?: TensorStatistics; readonly error?: string };

const fromGraphViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  /** Statistics of an initializer's values, named as the graph names it. */
  z.strictObject({ type: z.literal('stats'), tensor: z.string().check(z.minLength(1), z.maxLength(4000)) }),
  /** Open the model viewer's summary of the same file. */
  z.strictObject({ type: z.literal('summary') }),
]);

export type FromGraphView = z.infer<typeof fromGraphViewSchema>;

export function parseFromGraphView(raw: unknown): FromGraphView | undefined {
  const result = fromGraphViewSchema.safeParse(raw);
  return result.success ? result.data : undefined;
}

export const graphFocusSchema = z.strictObject({ kind: z.enum(['op', 'tensor', 'node', 'search']), value: z.string().check(z.maxLength(4000)) });
