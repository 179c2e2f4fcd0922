import type { ItemSize, Point } from './graphLayout';
import type { VisibleGraph } from './visibleGraph';

// How the visible graph is laid out: one flat layout per open scope ("unit"), innermost first,
// each open scope then a box of that size in the unit around it. A unit holds its scope's items
// and boxes, and for each tensor crossing its border a small proxy: in-proxies (values from
// outside, at the top) and out-proxies (values leaving, at the bottom), as TensorBoard draws
// bridge nodes. Units are independent, so the layout worker keeps each one's result and an expand
// lays out only the scope opened and the (small) units around it. Plain code: the webview and
// the layout worker run it.

export const BOX_PADDING = 10;
export const BOX_HEADER = 26;
export const PROXY_HEIGHT = 18;

export interface UnitNode {
  readonly id: string;
  /** 0 for a box until its unit is laid out (the worker fills it in). */
  readonly width: number;
  readonly height: number;
  /** For boxes: the unit that lays out its contents. */
  readonly unit?: string;
}

export interface Unit {
  /** `top`, or the box's id (`s3`). */
  readonly id: string;
  readonly nodes: readonly UnitNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

export interface Proxy {
  readonly id: string;
  readonly unit: string;
  readonly direction: 'in' | 'out';
  /** The item outside (in) or inside (out) the box whose value crosses the border. */
  readonly item: string;
}

export interface UnitLayout {
  readonly width: number;
  readonly height: number;
  /** Top-left corners, relative to the unit's origin. */
  readonly nodes: Readonly<Record<string, Point>>;
  readonly edges: readonly { readonly from: string; readonly to: string; readonly points: readonly Point[] }[];
}

/** A laid-out view in one coordinate space: every item's and box's rectangle, every edge's polyline. */
export interface Placed {
  readonly width: number;
  readonly height: number;
  readonly rects: ReadonlyMap<string, { x: number; y: number; width: number; height: number }>;
  readonly edges: readonly { readonly from: string; readonly to: string; readonly points: readonly Point[] }[];
}

const proxyId = (unit: string, direction: 'in' | 'out', item: string): string => `${unit}|${direction}|${item}`;

/**
 * The units for `view`, innermost first (each box's unit before the unit holding the box), and
 * the proxies. `size` gives each item's drawn size, `proxySize` each proxy's (by the item it
 * stands for).
 */
export function planUnits(view: VisibleGraph, size: (id: string) => ItemSize, proxySize: (item: string) => ItemSize): { units: Unit[]; proxies: Proxy[] } {
  const parentOf = new Map<string, string>();
  for (const b of view.boxes) parentOf.set(b.id, b.parent ?? 'top');
  for (const item of view.items) parentOf.set(item.id, item.parent ?? 'top');
  const depth = (unit: string): number => {
    let d = 0;
    for (let at = unit; at !== 'top'; at = parentOf.get(at) ?? 'top') d++;
    return d;
  };
  /** The units from `top` down to `id`'s own (id itself not included). */
  const chain = (id: string): string[] => {
    const units: string[] = [];
    for (let at = parentOf.get(id); at !== undefined; at = at === 'top' ? undefined : parentOf.get(at)) units.unshift(at);
    return units;
  };
  const nodes = new Map<string, UnitNode[]>([['top', []]]);
  for (const b of view.boxes) nodes.set(b.id, []);
  // A box's width here is the least its title needs; the worker makes it fit its contents.
  for (const b of view.boxes) nodes.get(b.parent ?? 'top')!.push({ id: b.id, width: size(b.id).width, height: 0, unit: b.id });
  for (const item of view.items) nodes.get(item.parent ?? 'top')!.push({ id: item.id, ...size(item.id) });
  const edges = new Map<string, Map<string, { from: string; to: string }>>();
  const proxies = new Map<string, Proxy>();
  const addEdge = (unit: string, from: string, to: string): void => {
    let list = edges.get(unit);
    if (!list) edges.set(unit, (list = new Map<string, { from: string; to: string }>()));
    list.set(`${from}>${to}`, { from, to });
  };
  const proxy = (unit: string, direction: 'in' | 'out', item: string): string => {
    const id = proxyId(unit, direction, item);
    if (!proxies.has(id)) {
      proxies.set(id, { id, unit, direction, item });
      nodes.get(unit)!.push({ id, ...proxySize(item) });
    }
    return id;
  };
  for (const e of view.edges) {
    const from = chain(e.from);
    const to = chain(e.to);
    // The deepest unit holding both ends: the edge is laid out there, between what stands for each end.
    let common = 0;
    while (common < from.length && common < to.length && from[common] === to[common]) common++;
    const shared = from[common - 1]!;
    const local = (path: string[], self: string): string => path[common] ?? self;
    // Leaving each box on the way out, entering each box on the way in.
    let source = e.from;
    for (let i = from.length - 1; i >= common; i--) {
      const out = proxy(from[i]!, 'out', e.from);
      addEdge(from[i]!, source, out);
      source = from[i]!;
    }
    let target = e.to;
    for (let i = to.length - 1; i >= common; i--) {
      const inside = proxy(to[i]!, 'in', e.from);
      addEdge(to[i]!, inside, target);
      target = to[i]!;
    }
    addEdge(shared, local(from, e.from), local(to, e.to));
  }
  const units = [...nodes.keys()].sort((a, b) => depth(b) - depth(a)).map((id) => ({ id, nodes: nodes.get(id)!, edges: [...(edges.get(id)?.values() ?? [])] }));
  return { units, proxies: [...proxies.values()] };
}

/** The size a box takes in its parent unit: its contents' layout, and at least `minWidth` for its title. */
export function boxSize(layout: Pick<UnitLayout, 'width' | 'height'>, minWidth = 0): ItemSize {
  return { width: Math.max(layout.width + 2 * BOX_PADDING, minWidth), height: layout.height + BOX_HEADER + 2 * BOX_PADDING };
}

/** The unit layouts put together: `top` at the origin, each box's unit inside its box. */
export function placeUnits(units: readonly Unit[], layouts: Readonly<Record<string, UnitLayout>>): Placed {
  const rects = new Map<string, { x: number; y: number; width: number; height: number }>();
  const edges: { from: string; to: string; points: Point[] }[] = [];
  const byId = new Map(units.map((u) => [u.id, u]));
  const place = (unitId: string, ox: number, oy: number): void => {
    const unit = byId.get(unitId);
    const layout = layouts[unitId];
    if (!unit || !layout) return;
    for (const node of unit.nodes) {
      const at = layout.nodes[node.id];
      if (!at) continue;
      if (node.unit) {
        const inner = layouts[node.unit];
        const size = inner ? boxSize(inner, node.width) : { width: node.width, height: node.height };
        rects.set(node.id, { x: ox + at.x, y: oy + at.y, ...size });
        place(node.unit, ox + at.x + BOX_PADDING, oy + at.y + BOX_HEADER + BOX_PADDING);
      } else rects.set(node.id, { x: ox + at.x, y: oy + at.y, width: node.width, height: node.height });
    }
    for (const e of layout.edges) edges.push({ from: e.from, to: e.to, points: e.points.map((p) => ({ x: p.x + ox, y: p.y + oy })) });
  };
  place('top', 0, 0);
  const top = layouts.top;
  return { width: top?.width ?? 0, height: top?.height ?? 0, rects, edges };
}
