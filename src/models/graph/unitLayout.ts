import { graphlib, layout, type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import type { Point } from './graphLayout';
import { boxSize, type Unit, type UnitLayout } from './layoutPlan';

// Lays out units (layoutPlan.ts) with dagre, innermost first, each open scope's box sized from its
// contents' layout. Results are kept by what was laid out (the nodes with their sizes and the
// edges), so reopening a scope, or opening one beside others already open, lays out only what
// changed. Runs in the graph view's layout worker (media/graph/layoutWorker.ts) and in tests.
//
// Why dagre (measured on the 10,000-node transformer and ResNet-50, CPU time per layout on this
// project's shared machine): a 107-node attention block took 110-190 ms with dagre against
// 340-840 ms with elkjs 0.12 (layered), ResNet-50's 176 nodes 200-270 ms against 400-830 ms;
// neither lays out the flat 6,000-node graph in under a minute. Grouping does the rest.

const MAX_KEPT = 400;
const BIG_UNIT = 80;

export interface LayoutRequest {
  readonly id: number;
  readonly units: readonly Unit[];
}

export interface LayoutResponse {
  readonly id: number;
  readonly layouts: Record<string, UnitLayout>;
  /** Units laid out now (the others were kept from before), and the time it took. */
  readonly laidOut: number;
  readonly ms: number;
}

export class UnitLayouts {
  private readonly kept = new Map<string, UnitLayout>();

  layoutAll(request: LayoutRequest): LayoutResponse {
    const started = performance.now();
    const layouts: Record<string, UnitLayout> = {};
    let laidOut = 0;
    for (const unit of request.units) {
      const nodes = unit.nodes.map((n) => {
        const inner = n.unit ? layouts[n.unit] : undefined;
        return inner ? { ...n, ...boxSize(inner, n.width) } : n;
      });
      const key = JSON.stringify([nodes.map((n) => [n.id, n.width, n.height]), unit.edges.map((e) => [e.from, e.to])]);
      let result = this.kept.get(key);
      if (result) this.kept.delete(key);
      else {
        result = layoutUnit(nodes, unit.edges);
        laidOut++;
      }
      this.kept.set(key, result);
      if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
      layouts[unit.id] = result;
    }
    return { id: request.id, layouts, laidOut, ms: performance.now() - started };
  }
}

function layoutUnit(nodes: readonly { id: string; width: number; height: number }[], edges: Unit['edges']): UnitLayout {
  const g = new graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'TB', nodesep: 16, ranksep: 24, edgesep: 8, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of edges) g.setEdge(e.from, e.to);
  // Past a few dozen nodes dagre's search for the best of several orderings costs more than it
  // gains (ResNet-50's 178-node unit: half the time, the same width): one ordering pass then.
  layout(g, nodes.length > BIG_UNIT ? { disableOptimalOrderHeuristic: true } : {});
  const placed: Record<string, Point> = {};
  for (const n of nodes) {
    const at = g.node(n.id);
    placed[n.id] = { x: (at.x ?? 0) - n.width / 2, y: (at.y ?? 0) - n.height / 2 };
  }
  const graph = g.graph();
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    nodes: placed,
    edges: edges.map((e) => ({ from: e.from, to: e.to, points: (g.edge(e.from, e.to)?.points ?? []).map((p) => ({ x: p.x, y: p.y })) })),
  };
}
