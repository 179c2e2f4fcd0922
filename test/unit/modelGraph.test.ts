import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError } from '../../src/models/fileWindow';
import type { ModelGraph } from '../../src/models/graph/graphData';
import { ancestors, buildScopes, type ScopeTree } from '../../src/models/graph/graphScopes';
import { searchNodes, searchTensors } from '../../src/models/graph/graphSearch';
import { readModelGraph } from '../../src/models/graph/readGraph';
import { tensorStatistics } from '../../src/models/graph/tensorStats';
import { constantNodes, shownItem, tensorLinks, visibleGraph, type TensorLinks } from '../../src/models/graph/visibleGraph';
import { boxTitleSize, itemSize, proxySize } from '../../src/models/graph/graphLabels';
import { placeUnits, planUnits } from '../../src/models/graph/layoutPlan';
import { UnitLayouts } from '../../src/models/graph/unitLayout';
import { inspectModel } from '../../src/models/inspectModel';
import { concat, lengthDelimited, nodeProto, stringField, tensorProto, varintField } from '../../src/models/optimize/protobufWrite';
import { layersForNodes, transformerOnnx } from '../support/transformerOnnx';

const corpora = join(__dirname, '..', '..', '..', 'shared', 'corpora');
const resnet = join(corpora, 'onnx', 'light', 'light_resnet50.onnx');

interface Opened {
  graph: ModelGraph;
  tree: ScopeTree;
  links: TensorLinks;
}
function open(path: string): Opened {
  const graph = readModelGraph(path);
  return { graph, tree: buildScopes(graph, { hidden: constantNodes(graph) }), links: tensorLinks(graph) };
}
const scopeByPath = (tree: ScopeTree, path: string): number => {
  const found = tree.scopes.find((s) => s.path === path && !s.block);
  assert.ok(found, `no scope ${path}: ${tree.scopes.map((s) => s.path).slice(0, 20).join(', ')}`);
  return found.id;
};

describe('model graph (src/models/graph/)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'mle-graph-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the corpus ResNet-50: every node with the operator counts the summary reader gives, attributes, shapes', () => {
    const { graph, tree, links } = open(resnet);
    const info = inspectModel(resnet);
    const ops: Record<string, number> = {};
    for (const n of graph.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
    assert.deepEqual(ops, info.operators);
    assert.equal(ops.Conv, 53);
    assert.deepEqual(graph.problems, []);
    const conv = graph.nodes.find((n) => n.op === 'Conv')!;
    assert.ok(conv.attributes?.some((a) => a.name === 'kernel_shape' && a.type === 'ints' && /^\[\d+, \d+\]$/.test(a.value)), JSON.stringify(conv.attributes));
    // The input is typed from the file; every node's outputs are produced by it and consumed by the nodes that list them.
    assert.equal(graph.inputs.length, 1);
    assert.deepEqual(graph.tensors[graph.inputs[0]!]!.shape, [1, 3, 224, 224]);
    graph.nodes.forEach((n, i) => {
      for (const t of n.outputs) assert.equal(links.producer[t], i);
      for (const t of n.inputs) if (t >= 0) assert.ok(links.consumers[t]!.includes(i));
    });
    // Its weights are ConstantOfShape nodes: folded away, the 176 compute nodes shown flat (no name scopes).
    const hidden = constantNodes(graph);
    assert.equal(hidden.reduce((a, b) => a + b, 0), graph.nodes.filter((n) => n.op === 'ConstantOfShape').length);
    const view = visibleGraph(graph, tree, links, new Set());
    assert.equal(view.items.filter((i) => i.kind === 'node').length, graph.nodes.length - hidden.reduce((a, b) => a + b, 0));
    assert.equal(tree.scopes.length, 1);
    // Edges join producer and consumer items: every Conv's input edge comes from a shown node or the input.
    const ids = new Set(view.items.map((i) => i.id));
    for (const e of [...view.edges, ...view.stubs]) assert.ok(ids.has(e.from) && ids.has(e.to), `${e.from}>${e.to}`);
    assert.ok(view.edges.length >= view.items.length - 2);
  });

  it('groups a 10,000-node transformer by name scope: collapsed at first, expanded per scope, each node in one place', function () {
    this.timeout(120_000);
    const layers = layersForNodes(10_000);
    const path = join(dir, 'transformer.onnx');
    writeFileSync(path, transformerOnnx({ layers }));
    const { graph, tree, links } = open(path);
    assert.ok(graph.nodes.length > 9_500 && graph.nodes.length < 10_500, String(graph.nodes.length));
    const top = visibleGraph(graph, tree, links, new Set());
    // Opens as model (one box) and lm_head's MatMul between the input and the output.
    assert.deepEqual(top.items.map((i) => i.kind).sort(), ['input', 'input', 'node', 'output', 'scope']);
    const model = scopeByPath(tree, 'model');
    const opened = visibleGraph(graph, tree, links, new Set([model]));
    const layerItems = opened.items.filter((i) => i.kind === 'scope' && /^layers\.\d+$/.test(tree.scopes[i.index]!.name));
    assert.equal(layerItems.length, layers);
    // layers.0 expanded: self_attn, mlp, the norms as items inside its box; q_proj's single MatMul folded into self_attn, labelled.
    const layer0 = scopeByPath(tree, 'model/layers.0');
    const attn = scopeByPath(tree, 'model/layers.0/self_attn');
    const inLayer = visibleGraph(graph, tree, links, new Set([model, layer0]));
    assert.deepEqual(inLayer.boxes.map((b) => b.scope), [model, layer0]);
    assert.deepEqual(inLayer.items.filter((i) => i.parent === `s${layer0}` && i.kind === 'scope').map((i) => tree.scopes[i.index]!.name).sort(), ['input_layernorm', 'mlp', 'post_attention_layernorm', 'self_attn']);
    const qProj = graph.nodes.findIndex((n) => n.name === '/model/layers.0/self_attn/q_proj/MatMul');
    assert.equal(tree.nodeScope[qProj], attn);
    assert.equal(tree.nodeLabel[qProj], 'q_proj');
    assert.equal(shownItem(tree, new Set([model, layer0]), qProj), `s${attn}`);
    assert.equal(shownItem(tree, new Set([model, layer0, attn]), qProj), `n${qProj}`);
    assert.deepEqual(ancestors(tree, attn), [model, layer0, attn]);
    // Every shown node sits in exactly one scope; constants are hidden, not dropped from the counts of nodes.
    const hidden = constantNodes(graph);
    let shown = 0;
    for (let n = 0; n < graph.nodes.length; n++) {
      assert.equal(tree.nodeScope[n]! >= 0, hidden[n] === 0);
      if (hidden[n] === 0) shown++;
    }
    assert.equal(tree.scopes[0]!.nodeCount, shown);
    // Layer 0's residual Add is fed by the attention block and the embedding; the edge carries the tensor.
    const residual = graph.nodes.findIndex((n) => n.name === '/model/layers.0/Add');
    const edge = inLayer.edges.find((e) => e.to === `n${residual}` && e.from === `s${attn}`);
    assert.ok(edge, JSON.stringify(inLayer.edges.filter((e) => e.to === `n${residual}`)));
    assert.equal(graph.tensors[edge.tensors[0]!]!.name, '/model/layers.0/self_attn/o_proj/MatMul_output_0');
    assert.deepEqual(graph.tensors[edge.tensors[0]!]!.shape, ['batch', 'sequence', 64]);
    // Expanding a scope is cheap: what is visible is recomputed from the tree, not the file.
    const started = performance.now();
    visibleGraph(graph, tree, links, new Set([model, layer0, attn]));
    assert.ok(performance.now() - started < 1_000);
  });

  it('follows a tensor from its producer to its consumers, and searches by operator, name and scope', () => {
    const path = join(dir, 'two.onnx');
    writeFileSync(path, transformerOnnx({ layers: 2 }));
    const { graph, tree, links } = open(path);
    const cos = graph.tensors.findIndex((t) => t.name === '/model/rotary_emb/Cos_output_0');
    assert.equal(graph.nodes[links.producer[cos]!]!.name, '/model/rotary_emb/Cos');
    // Each layer's self_attn unsqueezes the rotary table once.
    assert.deepEqual(links.consumers[cos]!.map((n) => graph.nodes[n]!.name), ['/model/layers.0/self_attn/rotary_emb/Unsqueeze', '/model/layers.1/self_attn/rotary_emb/Unsqueeze']);
    const softmax = searchNodes(graph, tree, 'softmax');
    assert.equal(softmax.total, 2);
    assert.ok(softmax.hits.every((h) => h.reason === 'op' && graph.nodes[h.node]!.op === 'Softmax'));
    const byScope = searchNodes(graph, tree, 'scope:layers.1/mlp');
    assert.ok(byScope.total > 0 && byScope.hits.every((h) => graph.nodes[h.node]!.name.startsWith('/model/layers.1/mlp/')), JSON.stringify(byScope.hits.slice(0, 3)));
    assert.equal(byScope.total, graph.nodes.filter((n) => n.name.startsWith('/model/layers.1/mlp/')).length);
    const byName = searchNodes(graph, tree, 'down_proj/MatMul');
    assert.deepEqual(byName.hits.map((h) => graph.nodes[h.node]!.name), ['/model/layers.0/mlp/down_proj/MatMul', '/model/layers.1/mlp/down_proj/MatMul']);
    const limited = searchNodes(graph, tree, 'op:MatMul', 3);
    assert.equal(limited.hits.length, 3);
    assert.equal(limited.total, graph.nodes.filter((n) => n.op === 'MatMul').length);
    assert.deepEqual(searchTensors(graph, 'layers.1.mlp.up_proj').map((t) => graph.tensors[t]!.name), ['model.layers.1.mlp.up_proj.weight']);
    assert.deepEqual(searchNodes(graph, tree, '   ').hits, []);
  });

  it('gives initializers their shape, dtype, size and position, and their value statistics read by offset', () => {
    const path = join(dir, 'one.onnx');
    writeFileSync(path, transformerOnnx({ layers: 1, hidden: 64 }));
    const graph = readModelGraph(path);
    const weight = graph.tensors.find((t) => t.name === 'model.layers.0.mlp.gate_proj.weight')!;
    assert.equal(weight.kind, 'initializer');
    assert.equal(weight.dtype, 'float32');
    assert.deepEqual(weight.shape, [64, 128]);
    assert.equal(weight.data?.bytes, 64 * 128 * 4);
    // The figures of all values, against the generator's formula (seed = the initializer's place in the file).
    const seed = graph.tensors.filter((t) => t.kind === 'initializer').findIndex((t) => t.name === weight.name);
    const values = Array.from({ length: 64 * 128 }, (_, i) => Math.fround(Math.sin(seed * 7919 + i) * 0.02));
    const stats = tensorStatistics(path, weight.name);
    assert.equal(stats.count, values.length);
    assert.equal(stats.read, values.length);
    assert.equal(stats.min, Math.min(...values));
    assert.equal(stats.max, Math.max(...values));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(stats.mean - mean) < 1e-9);
    assert.equal(stats.sample, undefined);
    // At most maxBytes read: a sample, said so.
    const sampled = tensorStatistics(path, weight.name, 4096);
    assert.ok(sampled.bytesRead <= 4096 && sampled.read === 1024, JSON.stringify(sampled));
    assert.match(sampled.sample ?? '', /chunk/);
    assert.throws(() => tensorStatistics(path, 'no.such.weight'), ModelFormatError);
  });

  it('reads statistics of external data from the file its location names (corpus simple_cnn)', () => {
    const path = join(corpora, 'onnx', 'external_data', 'simple_cnn.onnx');
    const graph = readModelGraph(path);
    const external = graph.tensors.filter((t) => t.data?.location !== undefined);
    assert.ok(external.length > 0);
    const biggest = external.reduce((a, b) => (a.data!.bytes >= b.data!.bytes ? a : b));
    assert.equal(biggest.data!.location, 'simple_cnn.onnx.data');
    const stats = tensorStatistics(path, biggest.name);
    assert.equal(stats.read, stats.count);
    assert.equal(stats.bytesRead, biggest.data!.bytes);
    assert.ok(stats.std > 0 && stats.min < stats.max && Number.isFinite(stats.mean), JSON.stringify(stats));
  });

  it('lays out what is visible, each open scope as a box around its contents, values crossing its border as proxies', () => {
    const path = join(dir, 'layout.onnx');
    writeFileSync(path, transformerOnnx({ layers: 2 }));
    const { graph, tree, links } = open(path);
    const model = scopeByPath(tree, 'model');
    const layer0 = scopeByPath(tree, 'model/layers.0');
    const view = visibleGraph(graph, tree, links, new Set([model, layer0]));
    const size = (id: string): { width: number; height: number } => (id.startsWith('s') && view.boxes.some((b) => b.id === id) ? boxTitleSize(tree, Number(id.slice(1))) : itemSize(graph, tree, id));
    const plan = planUnits(view, size, (item) => proxySize(graph, tree, item));
    assert.deepEqual(plan.units.map((u) => u.id), [`s${layer0}`, `s${model}`, 'top']);
    const layouts = new UnitLayouts();
    const first = layouts.layoutAll({ id: 1, units: plan.units });
    assert.equal(first.laidOut, 3);
    const placed = placeUnits(plan.units, first.layouts);
    for (const item of view.items) assert.ok(placed.rects.has(item.id), item.id);
    const inside = (inner: { x: number; y: number; width: number; height: number }, outer: typeof inner): boolean =>
      inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;
    for (const item of view.items.filter((i) => i.parent)) assert.ok(inside(placed.rects.get(item.id)!, placed.rects.get(item.parent!)!), item.id);
    // The residual path enters layer 0's box through a proxy for the embedding.
    assert.ok(plan.proxies.some((p) => p.unit === `s${layer0}` && p.direction === 'in'));
    assert.ok(placed.edges.length > 0 && placed.edges.every((e) => e.points.length >= 2));
    // Opening one more scope lays out that scope and the units around it; the sibling layer is kept.
    const layer1 = scopeByPath(tree, 'model/layers.1');
    const more = visibleGraph(graph, tree, links, new Set([model, layer0, layer1]));
    const again = layouts.layoutAll({ id: 2, units: planUnits(more, size, (item) => proxySize(graph, tree, item)).units });
    assert.ok(again.laidOut <= 3, String(again.laidOut));
  });

  it('reads a big node (a Constant over 1 MB, walked in the file) as it reads the same node whole: name scopes, attributes', () => {
    // Two Constants alike but for their value's size: 4 floats, read whole; 512K floats, read field by field.
    const constant = (name: string, floats: number): Uint8Array =>
      concat([
        nodeProto('Constant', [], [`${name}_output_0`], name),
        lengthDelimited(5, concat([stringField(1, 'value'), lengthDelimited(5, tensorProto('', 1, [floats], new Uint8Array(floats * 4))), varintField(20, 4)])),
        lengthDelimited(5, concat([stringField(1, 'note'), stringField(4, 'kept'), varintField(20, 3)])),
        lengthDelimited(9, concat([stringField(1, 'pkg.torch.onnx.name_scopes'), stringField(2, "['', 'encoder', 'layers.0', 'Constant']")])),
      ]);
    const graph = concat([lengthDelimited(1, constant('/encoder/small', 4)), lengthDelimited(1, constant('/encoder/big', 512 * 1024)), stringField(2, 'g')]);
    const path = join(dir, 'big-constant.onnx');
    writeFileSync(path, concat([varintField(1, 8), lengthDelimited(7, graph), lengthDelimited(8, varintField(2, 17))]));
    const [small, big] = readModelGraph(path).nodes;
    assert.ok(small && big);
    assert.deepEqual(small.scopes, ['encoder', 'layers.0']);
    assert.deepEqual(big.scopes, small.scopes, 'the big node keeps its name scopes');
    assert.deepEqual(big.attributes?.map((a) => [a.name, a.type]), [['value', 'tensor'], ['note', 'string']]);
    assert.deepEqual(big.attributes?.[1], small.attributes?.[1]);
    assert.equal(small.attributes?.[0]?.value, 'float32[4] [0, 0, 0, 0]');
    assert.match(big.attributes?.[0]?.value ?? '', /^float32\[524288\] \(\d+ bytes in the node\)$/);
    assert.deepEqual([small.op, big.op, big.name], ['Constant', 'Constant', '/encoder/big']);
  });

  it('says clearly what it cannot read: not ONNX, an empty file', () => {
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    assert.throws(() => readModelGraph(empty), /empty/);
    const other = join(dir, 'x.safetensors');
    writeFileSync(other, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]));
    assert.throws(() => readModelGraph(other), (e: Error) => e instanceof ModelFormatError && /reads ONNX/.test(e.message));
  });
});
