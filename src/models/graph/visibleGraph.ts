import type { ModelGraph } from './graphData';
import type { ScopeTree } from './graphScopes';

// What the view shows for a set of expanded scopes: the items (nodes, collapsed scopes, the graph's
// inputs and outputs), the expanded scopes as boxes around their items, and one edge between two
// items for all the tensors that flow between what they stand for. Only this is laid out, so the
// cost of a layout follows what is on screen, not the model's size. Plain code: the webview runs
// it on every expand, in a few milliseconds for 10,000 nodes.

export type ItemKind = 'node' | 'scope' | 'input' | 'output';

export interface VisibleItem {
  /** `n12` (node 12), `s3` (scope 3), `i5` / `o5` (graph input / output, tensor 5). */
  readonly id: string;
  readonly kind: ItemKind;
  readonly index: number;
  /** The expanded scope box it is drawn in (`s3`), or undefined at the top. */
  readonly parent: string | undefined;
}

export interface VisibleEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** The first tensors it carries (tensor indices), and how many in all. */
  readonly tensors: readonly number[];
  readonly count: number;
}

export interface VisibleGraph {
  readonly items: readonly VisibleItem[];
  /** Expanded scopes below the top one, drawn as boxes: id `s3`, and the box they are in. */
  readonly boxes: readonly { readonly id: string; readonly scope: number; readonly parent: string | undefined }[];
  readonly edges: readonly VisibleEdge[];
  /**
   * Edges from items that feed many others (an attention mask, rotary tables, a shared weight
   * block): drawn as a labelled stub at each consumer instead of a line across the whole graph,
   * and left out of the layout, where each long line would cost a node per layer it crosses.
   */
  readonly stubs: readonly VisibleEdge[];
}

const EDGE_TENSORS = 4;
/** An item feeding more than this many others gets stubs instead of edges. */
export const HUB_FANOUT = 6;

/** Producer of each tensor (node index, -1 for none) and its consumers, computed once per graph. */
export interface TensorLinks {
  readonly producer: Int32Array;
  readonly consumers: readonly (readonly number[])[];
}

export function tensorLinks(graph: ModelGraph): TensorLinks {
  const producer = new Int32Array(graph.tensors.length).fill(-1);
  const consumers: number[][] = Array.from({ length: graph.tensors.length }, () => []);
  graph.nodes.forEach((node, i) => {
    for (const t of node.outputs) if (t >= 0) producer[t] = i;
    for (const t of node.inputs) if (t >= 0 && consumers[t]!.at(-1) !== i) consumers[t]!.push(i);
  });
  return { producer, consumers };
}

export const nodeId = (node: number): string => `n${node}`;
export const scopeId = (scope: number): string => `s${scope}`;

/**
 * The view with the scopes in `expanded` open (the top scope always is). A scope shows as one
 * item until it and every scope above it are open.
 */
export function visibleGraph(graph: ModelGraph, tree: ScopeTree, links: TensorLinks, expanded: ReadonlySet<number>): VisibleGraph {
  const { scopes } = tree;
  // The item each scope's nodes show as: the highest collapsed scope on its way up, or none (open all the way).
  const shownAs = new Int32Array(scopes.length).fill(-1);
  const items: VisibleItem[] = [];
  const boxes: { id: string; scope: number; parent: string | undefined }[] = [];
  const box = (scope: number): string | undefined => (scope <= 0 ? undefined : scopeId(scope));
  // Parents come before their children in the tree's order, so one pass settles every scope.
  for (const scope of scopes) {
    if (scope.id === 0) continue;
    const above = shownAs[scope.parent]!;
    if (above >= 0) shownAs[scope.id] = above;
    else if (expanded.has(scope.id)) boxes.push({ id: scopeId(scope.id), scope: scope.id, parent: box(scope.parent) });
    else {
      shownAs[scope.id] = scope.id;
      items.push({ id: scopeId(scope.id), kind: 'scope', index: scope.id, parent: box(scope.parent) });
    }
  }
  // Nodes outside the tree (constants) are not shown, nor are their edges.
  const itemOf = (node: number): string | undefined => {
    const scope = tree.nodeScope[node]!;
    if (scope < 0) return undefined;
    const as = shownAs[scope]!;
    return as >= 0 ? scopeId(as) : nodeId(node);
  };
  for (let node = 0; node < graph.nodes.length; node++) {
    const scope = tree.nodeScope[node]!;
    if (scope >= 0 && shownAs[scope]! < 0) items.push({ id: nodeId(node), kind: 'node', index: node, parent: box(scope) });
  }
  for (const t of graph.inputs) items.push({ id: `i${t}`, kind: 'input', index: t, parent: undefined });
  for (const t of graph.outputs) items.push({ id: `o${t}`, kind: 'output', index: t, parent: undefined });

  const edges = new Map<string, { id: string; from: string; to: string; tensors: number[]; count: number }>();
  const link = (from: string | undefined, to: string | undefined, tensor: number): void => {
    if (from === to || from === undefined || to === undefined) return;
    const key = `${from}>${to}`;
    const edge = edges.get(key);
    if (!edge) edges.set(key, { id: `e${edges.size}`, from, to, tensors: [tensor], count: 1 });
    else if (!edge.tensors.includes(tensor)) {
      edge.count++;
      if (edge.tensors.length < EDGE_TENSORS) edge.tensors.push(tensor);
    }
  };
  const inputs = new Set(graph.inputs);
  for (let node = 0; node < graph.nodes.length; node++) {
    const to = itemOf(node);
    for (const t of graph.nodes[node]!.inputs) {
      if (t < 0) continue;
      const producer = links.producer[t]!;
      if (producer >= 0) link(itemOf(producer), to, t);
      else if (inputs.has(t)) link(`i${t}`, to, t);
    }
  }
  for (const t of graph.outputs) {
    const producer = links.producer[t]!;
    if (producer >= 0) link(itemOf(producer), `o${t}`, t);
    else if (inputs.has(t)) link(`i${t}`, `o${t}`, t);
  }
  const fanout = new Map<string, number>();
  for (const e of edges.values()) fanout.set(e.from, (fanout.get(e.from) ?? 0) + 1);
  const all = [...edges.values()];
  return { items, boxes, edges: all.filter((e) => fanout.get(e.from)! <= HUB_FANOUT), stubs: all.filter((e) => fanout.get(e.from)! > HUB_FANOUT) };
}

/**
 * Nodes that compute a constant: Constant, and nodes whose every input is an initializer or
 * another such node's output (ConstantOfShape of a stored shape, a Cast of a weight). They are
 * weights in all but name, shown with the node they feed (as initializers are), not as nodes.
 * One pass in the file's order, which ONNX requires to be topological (a file that is not just
 * gets fewer of them).
 */
export function constantNodes(graph: ModelGraph): Uint8Array {
  const constant = new Uint8Array(graph.nodes.length);
  const constantTensor = new Uint8Array(graph.tensors.length);
  graph.tensors.forEach((t, i) => {
    if (t.kind === 'initializer') constantTensor[i] = 1;
  });
  graph.nodes.forEach((node, i) => {
    if (node.subgraphNodes || /^Random/.test(node.op) || node.outputs.length === 0) return;
    const fed = node.inputs.every((t) => t < 0 || constantTensor[t] === 1);
    if (!fed || (node.inputs.length === 0 && node.op !== 'Constant')) return;
    constant[i] = 1;
    for (const t of node.outputs) if (t >= 0) constantTensor[t] = 1;
  });
  return constant;
}

/** The item a node shows as with these scopes expanded: itself, or the collapsed scope holding it. */
export function shownItem(tree: ScopeTree, expanded: ReadonlySet<number>, node: number): string | undefined {
  if (tree.nodeScope[node]! < 0) return undefined;
  let shown: number | undefined;
  for (let at = tree.nodeScope[node]!; at > 0; at = tree.scopes[at]!.parent) if (!expanded.has(at)) shown = at;
  return shown === undefined ? nodeId(node) : scopeId(shown);
}
