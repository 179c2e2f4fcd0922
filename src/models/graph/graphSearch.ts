import type { ModelGraph } from './graphData';
import type { ScopeTree } from './graphScopes';

// Search over a graph, for the view's search box and the agent's tool: a query matches a node by
// its operator (exactly, any case: `matmul`), or by a piece of its name, its scope's path or one
// of its outputs' names; `op:X` asks for the operator only, `scope:a/b` for a scope's path only.

export interface SearchHit {
  readonly node: number;
  /** What matched, for the result list. */
  readonly reason: 'op' | 'name' | 'scope' | 'output';
}

/** The nodes matching `query`, in the file's order, at most `limit`; and how many matched in all. */
export function searchNodes(graph: ModelGraph, tree: ScopeTree | undefined, query: string, limit = 200): { hits: SearchHit[]; total: number } {
  const q = query.trim();
  const hits: SearchHit[] = [];
  let total = 0;
  if (!q) return { hits, total };
  const prefixed = /^(op|scope|name):\s*(.*)$/i.exec(q);
  const mode = prefixed ? prefixed[1]!.toLowerCase() : 'any';
  const text = (prefixed ? prefixed[2]! : q).toLowerCase();
  if (!text) return { hits, total };
  const scopePath = (node: number): string => {
    if (!tree) return '';
    const scope = tree.nodeScope[node]!;
    return scope >= 0 ? tree.scopes[scope]!.path.toLowerCase() : '';
  };
  graph.nodes.forEach((node, i) => {
    let reason: SearchHit['reason'] | undefined;
    if ((mode === 'any' || mode === 'op') && node.op.toLowerCase() === text) reason = 'op';
    else if (mode === 'scope') reason = scopePath(i).includes(text) ? 'scope' : undefined;
    else if (mode === 'any' || mode === 'name') {
      if (node.name.toLowerCase().includes(text)) reason = 'name';
      else if (node.outputs.some((t) => t >= 0 && graph.tensors[t]!.name.toLowerCase().includes(text))) reason = 'output';
      else if (mode === 'any' && scopePath(i).includes(text)) reason = 'scope';
    }
    if (!reason) return;
    total++;
    if (hits.length < limit) hits.push({ node: i, reason });
  });
  return { hits, total };
}

/** Tensors whose name contains `query` (any case), at most `limit`. */
export function searchTensors(graph: ModelGraph, query: string, limit = 50): number[] {
  const text = query.trim().toLowerCase();
  const found: number[] = [];
  if (!text) return found;
  for (let i = 0; i < graph.tensors.length && found.length < limit; i++) if (graph.tensors[i]!.name.toLowerCase().includes(text)) found.push(i);
  return found;
}
