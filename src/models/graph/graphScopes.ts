import type { ModelGraph } from './graphData';

// Nodes grouped by the modules they came from, so a 10,000-node model opens as its top-level
// blocks and only what the user expands is laid out. A node's scope is the module path an
// exporter recorded (`pkg.torch.onnx.name_scopes`), else its name's path
// (`/model/layers.0/self_attn/q_proj/MatMul` is in model > layers.0 > self_attn > q_proj), else
// its first output's. Scopes that would add a click and show nothing new are folded away: one
// holding a single node (q_proj: its MatMul shows in the parent, labelled q_proj), and one holding
// only one other scope (joined into `a/b`). A scope with more entries than a view can show at
// once gets them in blocks, in the file's order. Plain code: the webview runs it too.

export interface Scope {
  readonly id: number;
  /** -1 for the root. */
  readonly parent: number;
  /** The module's name(s) in its parent: `self_attn`, `model/layers.0` after a join, `nodes 1–200` for a block. */
  readonly name: string;
  /** From the root, for search and the details: `model/layers.0/self_attn`. */
  readonly path: string;
  /** Child scopes, then direct nodes, each in the file's order. */
  readonly scopes: readonly number[];
  readonly nodes: readonly number[];
  /** Nodes below it, at any depth. */
  readonly nodeCount: number;
  /** A block of a scope that had too many entries, rather than a module. */
  readonly block?: boolean;
}

export interface ScopeTree {
  /** scopes[0] is the root. */
  readonly scopes: readonly Scope[];
  /** The scope each node is shown in; -1 for nodes left out. */
  readonly nodeScope: Int32Array;
  /** The module a node was folded out of (q_proj for /…/q_proj/MatMul), for its label. */
  readonly nodeLabel: readonly (string | undefined)[];
}

export interface ScopeOptions {
  /** Most entries (scopes and nodes) a scope shows at once; past it they come in blocks (default 300). */
  readonly maxEntries?: number;
  /** Nodes left out of the tree (constants): their nodeScope is -1. */
  readonly hidden?: Uint8Array;
}

const SEPARATOR = '/';

/** A node's module path: its recorded scopes, else its name's folders, else its first output's. */
export function scopePath(graph: ModelGraph, node: number): string[] {
  const n = graph.nodes[node]!;
  if (n.scopes?.length) return [...n.scopes];
  const source = n.name.includes(SEPARATOR) ? n.name : n.name === '' && n.outputs[0] !== undefined && n.outputs[0] >= 0 ? graph.tensors[n.outputs[0]]!.name : '';
  const parts = source.split(SEPARATOR).filter((p) => p !== '');
  parts.pop();
  return parts;
}

interface Draft {
  name: string;
  parent: Draft | undefined;
  children: Map<string, Draft>;
  nodes: number[];
  count: number;
  /** The first node at any depth: where it stands in the file's order. */
  first: number;
}

export function buildScopes(graph: ModelGraph, options: ScopeOptions = {}): ScopeTree {
  const maxEntries = Math.max(2, options.maxEntries ?? 300);
  const draft = (name: string, parent: Draft | undefined): Draft => ({ name, parent, children: new Map(), nodes: [], count: 0, first: Infinity });
  const root = draft('', undefined);
  for (let i = 0; i < graph.nodes.length; i++) {
    if (options.hidden?.[i]) continue;
    let at = root;
    at.count++;
    at.first = Math.min(at.first, i);
    for (const part of scopePath(graph, i)) {
      let next = at.children.get(part);
      if (!next) at.children.set(part, (next = draft(part, at)));
      at = next;
      at.count++;
      at.first = Math.min(at.first, i);
    }
    at.nodes.push(i);
  }
  const nodeLabel: (string | undefined)[] = new Array<string | undefined>(graph.nodes.length);
  // Fold: a one-node scope gives its node to its parent; a scope holding only one scope is joined with it.
  const fold = (d: Draft): void => {
    for (const child of [...d.children.values()]) fold(child);
    for (const [key, child] of [...d.children]) {
      if (child.count === 1 && child.children.size === 0) {
        const node = child.nodes[0]!;
        nodeLabel[node] = child.name;
        d.children.delete(key);
        d.nodes.push(node);
      } else if (child.nodes.length === 0 && child.children.size === 1) {
        const only = [...child.children.values()][0]!;
        only.name = `${child.name}${SEPARATOR}${only.name}`;
        only.parent = d;
        d.children.set(key, only);
      }
    }
    d.nodes.sort((a, b) => a - b);
  };
  fold(root);
  // The root holding one scope and nothing else opens as that scope.
  let top = root;
  while (top.nodes.length === 0 && top.children.size === 1) top = [...top.children.values()][0]!;

  const scopes: Scope[] = [];
  const nodeScope = new Int32Array(graph.nodes.length).fill(-1);
  const first = (d: Draft): number => d.first;
  const emit = (d: Draft, parent: number, path: string, block = false): number => {
    const id = scopes.length;
    const record = { id, parent, name: d.name, path, scopes: [] as number[], nodes: [] as number[], nodeCount: d.count, ...(block ? { block } : {}) };
    scopes.push(record);
    const children = [...d.children.values()].sort((a, b) => first(a) - first(b));
    const entries = children.length + d.nodes.length;
    if (entries > maxEntries) {
      // Blocks of entries in the file's order: scopes and nodes interleaved by their first node.
      const ordered: ({ scope: Draft } | { node: number })[] = [...children.map((scope) => ({ scope })), ...d.nodes.map((node) => ({ node }))].sort((a, b) => ('node' in a ? a.node : first(a.scope)) - ('node' in b ? b.node : first(b.scope)));
      // At most maxEntries blocks; a block still too big is split again when it is emitted.
      const size = Math.ceil(entries / Math.min(maxEntries, Math.ceil(entries / maxEntries)));
      for (let at = 0; at < ordered.length; at += size) {
        const slice = ordered.slice(at, at + size);
        const blockDraft = draft(`nodes ${at + 1}–${at + slice.length}`, d);
        for (const entry of slice) {
          if ('node' in entry) {
            blockDraft.nodes.push(entry.node);
            blockDraft.count++;
            blockDraft.first = Math.min(blockDraft.first, entry.node);
          } else {
            blockDraft.children.set(`${entry.scope.name}\u0000${blockDraft.children.size}`, entry.scope);
            blockDraft.count += entry.scope.count;
            blockDraft.first = Math.min(blockDraft.first, entry.scope.first);
          }
        }
        record.scopes.push(emit(blockDraft, id, path, true));
      }
      return id;
    }
    for (const child of children) record.scopes.push(emit(child, id, path ? `${path}${SEPARATOR}${child.name}` : child.name));
    for (const node of d.nodes) {
      record.nodes.push(node);
      nodeScope[node] = id;
    }
    return id;
  };
  emit(top, -1, pathOf(top));
  return { scopes, nodeScope, nodeLabel };
}

function pathOf(d: Draft): string {
  const parts: string[] = [];
  for (let at: Draft | undefined = d; at?.parent; at = at.parent) parts.unshift(at.name);
  return parts.join(SEPARATOR);
}

/** The scopes from the root down to `scope`, the root excluded. */
export function ancestors(tree: ScopeTree, scope: number): number[] {
  const chain: number[] = [];
  for (let at = scope; at > 0; at = tree.scopes[at]!.parent) chain.unshift(at);
  return chain;
}
