import type { ItemSize } from './graphLayout';
import type { GraphTensor, ModelGraph } from './graphData';
import type { ScopeTree } from './graphScopes';
import type { VisibleEdge } from './visibleGraph';

// What each item says and how big it is drawn: the view draws at these sizes and the layout lays
// out at them, so both come from here. Widths are estimated from the text (no DOM measuring in
// the worker); long names are cut with an ellipsis.

const CHAR_TITLE = 7.2;
const CHAR_TEXT = 6.4;
const MIN_WIDTH = 64;
const MAX_WIDTH = 240;
const PAD = 18;
export const NODE_HEIGHT = 40;
export const SCOPE_HEIGHT = 44;
export const IO_HEIGHT = 28;
export const STUB_ROW = 14;

export interface ItemText {
  readonly title: string;
  readonly subtitle?: string;
}

/** `float32[batch, 64]`, or '' when the file gives neither. */
export function tensorType(t: Pick<GraphTensor, 'dtype' | 'shape'> | undefined): string {
  if (!t || (t.dtype === undefined && t.shape === undefined)) return '';
  return `${t.dtype ?? '?'}${t.shape ? `[${t.shape.join(', ')}]` : ''}`;
}

/** The last part of a name (`/model/layers.0/self_attn/q_proj/MatMul` → `MatMul`). */
export function shortName(name: string): string {
  const parts = name.split('/').filter(Boolean);
  return parts.at(-1) ?? name;
}

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

const fit = (chars: number, per: number): number => Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.ceil(chars * per) + PAD));
const maxChars = (per: number): number => Math.floor((MAX_WIDTH - PAD) / per);

export function itemText(graph: ModelGraph, tree: ScopeTree, id: string): ItemText {
  const index = Number(id.slice(1));
  switch (id[0]) {
    case 'n': {
      const node = graph.nodes[index]!;
      const label = tree.nodeLabel[index];
      const out = node.outputs[0] !== undefined && node.outputs[0] >= 0 ? tensorType(graph.tensors[node.outputs[0]]) : '';
      return { title: cut(label ? `${node.op} · ${label}` : node.op, maxChars(CHAR_TITLE)), subtitle: cut(out || shortName(node.name), maxChars(CHAR_TEXT)) };
    }
    case 's': {
      const scope = tree.scopes[index]!;
      return { title: cut(`▸ ${scope.name || '(graph)'}`, maxChars(CHAR_TITLE)), subtitle: `${scope.nodeCount.toLocaleString('en-US')} nodes` };
    }
    default: {
      const t = graph.tensors[index]!;
      return { title: cut(t.name, maxChars(CHAR_TITLE)), subtitle: cut(tensorType(t), maxChars(CHAR_TEXT)) };
    }
  }
}

/** The header of an open scope's box. */
export function boxTitle(tree: ScopeTree, scope: number): string {
  const s = tree.scopes[scope]!;
  return cut(`▾ ${s.name} · ${s.nodeCount.toLocaleString('en-US')} nodes`, 60);
}

export function itemSize(graph: ModelGraph, tree: ScopeTree, id: string, stubs = 0): ItemSize {
  const text = itemText(graph, tree, id);
  const width = Math.max(fit(text.title.length, CHAR_TITLE), fit(text.subtitle?.length ?? 0, CHAR_TEXT));
  const height = id[0] === 's' ? SCOPE_HEIGHT : id[0] === 'n' ? NODE_HEIGHT : IO_HEIGHT;
  return { width, height: height + (stubs > 0 ? STUB_ROW : 0) };
}

/** The size of an open scope's box title (the least width of its box). */
export function boxTitleSize(tree: ScopeTree, scope: number): ItemSize {
  return { width: fit(boxTitle(tree, scope).length, CHAR_TEXT), height: 0 };
}

/** A proxy's label: the item outside whose value enters (or the item whose value leaves). */
export function proxyLabel(graph: ModelGraph, tree: ScopeTree, item: string): string {
  return cut(itemText(graph, tree, item).title.replace(/^▸ /, ''), 28);
}

export function proxySize(graph: ModelGraph, tree: ScopeTree, item: string): ItemSize {
  return { width: fit(proxyLabel(graph, tree, item).length + 2, CHAR_TEXT) - 8, height: 18 };
}

/** Stubs' labels at a consumer: the items whose values come in without a line. */
export function stubText(graph: ModelGraph, tree: ScopeTree, stubs: readonly VisibleEdge[]): string {
  const names = stubs.map((s) => proxyLabel(graph, tree, s.from));
  return cut(`← ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` +${names.length - 3}` : ''}`, 48);
}
