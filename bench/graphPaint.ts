// The graph view's figures for bench/models.bench.ts (issue #22): graph_first_paint_ms, from asking
// the models worker for the graph to having every visible item's position, as the view does it
// (graph read in the worker and sent over, scope tree, visible graph, layout units, layout in the
// worker, placement); the webview's SVG drawing of the few hundred items shown is not included
// (measured in code-server by test/e2e/modelGraph.e2e.ts's data-first-paint-ms, not here).
// graph_expand_scope_ms: opening a scope after that, the same steps minus the read. Each
// first paint uses a fresh worker, warmed by one summary read as the model viewer leaves it, so
// no layout is kept from an earlier run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelGraph } from '../src/models/graph/graphData';
import { boxTitleSize, itemSize, proxySize } from '../src/models/graph/graphLabels';
import { buildScopes, type ScopeTree } from '../src/models/graph/graphScopes';
import { placeUnits, planUnits } from '../src/models/graph/layoutPlan';
import { constantNodes, tensorLinks, visibleGraph, type TensorLinks } from '../src/models/graph/visibleGraph';
import { ModelReader } from '../src/models/modelReader';
import { layersForNodes, transformerOnnx } from '../test/support/transformerOnnx';
import { median, withBaseline, type BenchMetric } from './metric';

interface Open {
  graph: ModelGraph;
  tree: ScopeTree;
  links: TensorLinks;
  expanded: Set<number>;
}

/** What the view does on every change of the open scopes: visible graph, units, layout in the worker, placement. */
async function show(reader: ModelReader, path: string, o: Open): Promise<number> {
  const view = visibleGraph(o.graph, o.tree, o.links, o.expanded);
  const stubs = new Map<string, number>();
  for (const s of view.stubs) stubs.set(s.to, (stubs.get(s.to) ?? 0) + 1);
  const boxes = new Set(view.boxes.map((b) => b.id));
  const size = (id: string): { width: number; height: number } => (boxes.has(id) ? boxTitleSize(o.tree, Number(id.slice(1))) : itemSize(o.graph, o.tree, id, stubs.get(id) ?? 0));
  const plan = planUnits(view, size, (item) => proxySize(o.graph, o.tree, item));
  // Through JSON, as postMessage carries it between the webview and the host.
  const layouts = await reader.layout(path, JSON.parse(JSON.stringify(plan.units)) as typeof plan.units);
  return placeUnits(plan.units, layouts).rects.size;
}

async function firstPaint(path: string, script: string, warmWith: string): Promise<{ ms: number; open: Open; reader: ModelReader }> {
  const reader = new ModelReader({ script });
  await reader.inspect(warmWith);
  const t = performance.now();
  const graph = JSON.parse(JSON.stringify(await reader.graph(path))) as ModelGraph;
  const open = { graph, tree: buildScopes(graph, { hidden: constantNodes(graph) }), links: tensorLinks(graph), expanded: new Set<number>() };
  const placed = await show(reader, path, open);
  if (placed === 0) throw new Error(`nothing placed for ${path}`);
  return { ms: performance.now() - t, open, reader };
}

export async function graphMetrics(dir: string, script: string, resnet: string, warmWith: string): Promise<BenchMetric[]> {
  const transformer = join(dir, 'transformer10k.onnx');
  writeFileSync(transformer, transformerOnnx({ layers: layersForNodes(10_000) }));
  const bigPaint: number[] = [];
  const resnetPaint: number[] = [];
  const expand: number[] = [];
  let nodes = 0;
  for (let i = 0; i < 5; i++) {
    const r = await firstPaint(resnet, script, warmWith);
    resnetPaint.push(r.ms);
    r.reader.dispose();
    const big = await firstPaint(transformer, script, warmWith);
    bigPaint.push(big.ms);
    nodes = big.open.graph.nodes.length;
    try {
      // Open model (its 48 layers), then a layer, its attention block and its MLP: each timed.
      const path = (p: string): number => big.open.tree.scopes.find((s) => s.path === p && !s.block)!.id;
      for (const scope of ['model', `model/layers.${i}`, `model/layers.${i}/self_attn`, `model/layers.${i}/mlp`]) {
        big.open.expanded.add(path(scope));
        const t = performance.now();
        await show(big.reader, transformer, big.open);
        expand.push(performance.now() - t);
      }
    } finally {
      big.reader.dispose();
    }
  }
  return [
    withBaseline('graph_first_paint_ms', median(bigPaint), 'ms'),
    withBaseline('graph_nodes', nodes, 'nodes'),
    withBaseline('graph_first_paint_resnet50_ms', median(resnetPaint), 'ms'),
    withBaseline('graph_expand_scope_ms', median(expand), 'ms'),
    withBaseline('graph_expand_scope_max_ms', Math.max(...expand), 'ms'),
  ];
}
