import type { ModelGraph } from './graphData';
import { tensorType } from './graphLabels';
import { buildScopes, type ScopeTree } from './graphScopes';
import { searchNodes } from './graphSearch';
import { constantNodes, tensorLinks, type TensorLinks } from './visibleGraph';

// What the agent's query_model_graph tool answers, as text within a budget of tokens (about four
// characters each): an overview (scopes, operators, inputs, outputs), the nodes of an operator or
// matching a name, a scope's contents with the shapes of what enters and leaves it, or a tensor's
// producer and consumers. Lines are added while they fit; what did not fit is counted, with a
// hint how to narrow the question.

export interface GraphQuery {
  /** Nodes of this operator (any case). */
  readonly op?: string;
  /** A name scope's path (`model/layers.0/self_attn`, leading slash optional). */
  readonly scope?: string;
  /** Nodes whose name or outputs contain this. */
  readonly name?: string;
  /** A tensor by exact name: its type, producer and consumers. */
  readonly tensor?: string;
  readonly maxTokens?: number;
}

export const DEFAULT_TOKENS = 2000;
export const MAX_TOKENS = 16_000;
const CHARS_PER_TOKEN = 4;

export interface PreparedGraph {
  readonly graph: ModelGraph;
  readonly tree: ScopeTree;
  readonly links: TensorLinks;
  readonly byName: ReadonlyMap<string, number>;
}

export function prepareGraph(graph: ModelGraph): PreparedGraph {
  return { graph, tree: buildScopes(graph, { hidden: constantNodes(graph) }), links: tensorLinks(graph), byName: new Map(graph.tensors.map((t, i) => [t.name, i])) };
}

/** Lines added while the budget lasts; then a count of what was left out. */
class Budget {
  readonly lines: string[] = [];
  private used = 0;
  left = 0;
  constructor(private readonly chars: number) {}

  add(line: string): boolean {
    if (this.left > 0 || this.used + line.length + 1 > this.chars) {
      this.left++;
      return false;
    }
    this.lines.push(line);
    this.used += line.length + 1;
    return true;
  }

  text(hint: string): string {
    return this.left > 0 ? `${this.lines.join('\n')}\n… ${this.left} more lines not shown (budget); ${hint}` : this.lines.join('\n');
  }
}

function histogram(ops: Iterable<string>, top = 12): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  return sorted.slice(0, top).map(([op, n]) => `${op} ${n}`).join(', ') + (sorted.length > top ? `, … (${sorted.length} operators)` : '');
}

function tensorWords(p: PreparedGraph, t: number): string {
  const tensor = p.graph.tensors[t]!;
  const type = tensorType(tensor);
  return `${tensor.name}${type ? ` ${type}` : ''}${tensor.kind === 'initializer' ? ' (weight)' : ''}`;
}

function nodeLine(p: PreparedGraph, n: number): string {
  const node = p.graph.nodes[n]!;
  const inputs = node.inputs.filter((t) => t >= 0).map((t) => tensorWords(p, t));
  const outputs = node.outputs.filter((t) => t >= 0).map((t) => tensorWords(p, t));
  const attrs = node.attributes?.length ? ` {${node.attributes.map((a) => `${a.name}=${a.value.length > 60 ? `${a.value.slice(0, 59)}…` : a.value}`).join(', ')}}` : '';
  return `- ${node.name || '(unnamed)'} ${node.domain ? `${node.domain}.` : ''}${node.op}${attrs}: ${inputs.join(', ')} → ${outputs.join(', ')}`;
}

function scopeNodes(tree: ScopeTree, scope: number): number[] {
  const nodes: number[] = [];
  const walk = (s: number): void => {
    nodes.push(...tree.scopes[s]!.nodes);
    for (const child of tree.scopes[s]!.scopes) walk(child);
  };
  walk(scope);
  return nodes.sort((a, b) => a - b);
}

/** The answer to `query` about the prepared graph, in at most `maxTokens` (about). */
export function queryGraph(p: PreparedGraph, query: GraphQuery): string {
  const budget = new Budget(Math.min(MAX_TOKENS, Math.max(200, query.maxTokens ?? DEFAULT_TOKENS)) * CHARS_PER_TOKEN);
  const { graph, tree, links } = p;
  if (query.tensor !== undefined) {
    const t = p.byName.get(query.tensor);
    if (t === undefined) return `No tensor named "${query.tensor}". Use name= to search node and tensor names.`;
    budget.add(`Tensor ${tensorWords(p, t)}, ${graph.tensors[t]!.kind}`);
    const producer = links.producer[t]!;
    budget.add(producer >= 0 ? `Produced by:\n${nodeLine(p, producer)}` : 'Produced by: none (a graph input or a weight)');
    budget.add(`Consumed by ${links.consumers[t]!.length} nodes:`);
    for (const c of links.consumers[t]!) budget.add(nodeLine(p, c));
    return budget.text('ask about one consumer with name=.');
  }
  if (query.scope !== undefined) {
    const path = query.scope.replace(/^\/+|\/+$/g, '');
    const scope = tree.scopes.find((s) => s.path === path && !s.block) ?? tree.scopes.find((s) => !s.block && s.path.endsWith(`/${path}`));
    if (!scope) {
      const near = tree.scopes.filter((s) => !s.block && s.path.includes(path)).slice(0, 5).map((s) => s.path);
      return `No name scope "${path}".${near.length ? ` Scopes containing it: ${near.join(', ')}.` : ' Ask without arguments for the top-level scopes.'}`;
    }
    const nodes = scopeNodes(tree, scope.id);
    const inside = new Set(nodes);
    // What enters the scope (values produced outside it, weights left out) and what leaves it.
    const entering = new Set<number>();
    const leaving = new Set<number>();
    const outputs = new Set(graph.outputs);
    for (const n of nodes) {
      for (const t of graph.nodes[n]!.inputs) if (t >= 0 && graph.tensors[t]!.kind !== 'initializer' && !inside.has(links.producer[t]!)) entering.add(t);
      for (const t of graph.nodes[n]!.outputs) if (t >= 0 && (outputs.has(t) || links.consumers[t]!.some((c) => !inside.has(c)))) leaving.add(t);
    }
    budget.add(`Scope ${scope.path || '(graph)'}: ${nodes.length} nodes (${histogram(nodes.map((n) => graph.nodes[n]!.op))})`);
    budget.add(`Enters: ${[...entering].map((t) => tensorWords(p, t)).join('; ') || 'nothing'}`);
    budget.add(`Leaves: ${[...leaving].map((t) => tensorWords(p, t)).join('; ') || 'nothing'}`);
    if (scope.scopes.length) budget.add(`Sub-scopes: ${scope.scopes.map((s) => `${tree.scopes[s]!.name} (${tree.scopes[s]!.nodeCount})`).join(', ')}`);
    budget.add('Nodes:');
    for (const n of nodes) budget.add(nodeLine(p, n));
    return budget.text('ask about a sub-scope with scope=, or an operator with op=.');
  }
  if (query.op !== undefined || query.name !== undefined) {
    const q = query.op !== undefined ? `op:${query.op}` : `name:${query.name}`;
    const found = searchNodes(graph, tree, q, 10_000);
    const hits = query.op !== undefined && query.name !== undefined ? found.hits.filter((h) => graph.nodes[h.node]!.name.toLowerCase().includes(query.name!.toLowerCase())) : found.hits;
    budget.add(`${hits.length} nodes match${hits.length === 0 ? '.' : ':'}`);
    for (const h of hits) budget.add(nodeLine(p, h.node));
    if (hits.length === 0 && query.op !== undefined) budget.add(`Operators in this graph: ${histogram(graph.nodes.map((n) => n.op), 40)}`);
    return budget.text('narrow it with scope= or name=.');
  }
  const shown = tree.scopes[0]!.nodeCount;
  budget.add(`Graph "${graph.name}": ${graph.nodes.length} nodes (${graph.nodes.length - shown} compute constants), ${graph.tensors.filter((t) => t.kind === 'initializer').length} weights; opsets ${graph.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`);
  budget.add('Tensors are given with their dtype and shape where the file records them (value_info), by name alone elsewhere.');
  budget.add(`Inputs: ${graph.inputs.map((t) => tensorWords(p, t)).join('; ')}`);
  budget.add(`Outputs: ${graph.outputs.map((t) => tensorWords(p, t)).join('; ')}`);
  budget.add(`Operators: ${histogram(graph.nodes.map((n) => n.op), 40)}`);
  for (const problem of graph.problems) budget.add(`Note: ${problem}`);
  budget.add('Name scopes (nodes below each):');
  const walk = (s: number, depth: number): void => {
    for (const child of tree.scopes[s]!.scopes) {
      budget.add(`${'  '.repeat(depth)}- ${tree.scopes[child]!.path || tree.scopes[child]!.name} (${tree.scopes[child]!.nodeCount})`);
      if (depth < 1) walk(child, depth + 1);
    }
  };
  walk(0, 0);
  if (tree.scopes[0]!.nodes.length) budget.add(`${tree.scopes[0]!.nodes.length} nodes at the top level (not in a scope)`);
  return budget.text('ask about one scope with scope=.');
}
