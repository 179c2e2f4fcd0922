import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolInputError } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { queryModelGraphTool } from '../../src/models/graph/graphTool';
import { stopModelReader } from '../../src/models/modelReader';
import { transformerOnnx } from '../support/transformerOnnx';

// The agent's query_model_graph, run as the agent runs it: input checked by its schema, the file
// read in the models worker, the answer cut to the budget.
describe('query_model_graph tool', function () {
  this.timeout(120_000);
  let dir: string;
  const tool = queryModelGraphTool();
  const context = (): { files: WorkspaceFiles; applyChange: () => Promise<void> } => ({ files: new WorkspaceFiles([{ name: 'ws', path: dir }]), applyChange: () => Promise.resolve() });
  const ask = async (input: Record<string, unknown>): Promise<string> => {
    const parsed = tool.input.safeParse(input);
    assert.ok(parsed.success, JSON.stringify(input));
    return (await tool.run(parsed.data, context(), new AbortController().signal)).content;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-graph-tool-'));
    writeFileSync(join(dir, 'llm.onnx'), transformerOnnx({ layers: 4 }));
    writeFileSync(join(dir, 'notes.onnx'), 'not a model at all');
  });
  after(() => {
    stopModelReader();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives an overview with the name scopes and operators', async () => {
    const text = await ask({ path: 'llm.onnx' });
    assert.match(text, /^Graph "main_graph": \d+ nodes/);
    assert.match(text, /Inputs: input_ids int64\[batch, sequence\]; attention_mask int64\[batch, sequence\]/);
    assert.match(text, /- model\/layers\.3 \(\d+\)/);
    assert.match(text, /Operators: .*MatMul \d+/);
  });

  it("answers a scope's shapes: what enters and leaves it, each node's inputs and outputs", async () => {
    const text = await ask({ path: 'llm.onnx', scope: '/model/layers.1/mlp', max_tokens: 4000 });
    assert.match(text, /^Scope model\/layers\.1\/mlp: 6 nodes \(MatMul 3, Mul 2, Sigmoid 1\)/);
    assert.match(text, /Enters: \/model\/layers\.1\/post_attention_layernorm\/Mul_1_output_0 float32\[batch, sequence, 64\]/);
    assert.match(text, /Leaves: \/model\/layers\.1\/mlp\/down_proj\/MatMul_output_0 float32\[batch, sequence, 64\]/);
    assert.match(text, /- \/model\/layers\.1\/mlp\/gate_proj\/MatMul MatMul: .* model\.layers\.1\.mlp\.gate_proj\.weight float32\[64, 128\] \(weight\)/);
    assert.match(text, /Sub-scopes: act_fn \(2\)/);
    assert.match(text, /→ \/model\/layers\.1\/mlp\/act_fn\/Mul_output_0\n/);
    assert.doesNotMatch(text, /not shown/);
  });

  it('finds nodes by operator within the token budget, and says what it left out', async () => {
    const all = await ask({ path: 'llm.onnx', op: 'softmax', max_tokens: 16000 });
    assert.match(all, /^4 nodes match:/);
    assert.equal(all.split('\n').filter((l) => l.startsWith('- ') && l.includes(' Softmax')).length, 4);
    const cut = await ask({ path: 'llm.onnx', op: 'MatMul', max_tokens: 200 });
    assert.ok(cut.length <= 200 * 4 + 120, String(cut.length));
    assert.match(cut, /more lines not shown \(budget\); narrow it with scope= or name=/);
    const none = await ask({ path: 'llm.onnx', op: 'Conv' });
    assert.match(none, /^0 nodes match\.\nOperators in this graph: /);
  });

  it('follows a tensor from its producer to its consumers', async () => {
    const text = await ask({ path: 'llm.onnx', tensor: '/model/rotary_emb/Sin_output_0' });
    assert.match(text, /Produced by:\n- \/model\/rotary_emb\/Sin Sin/);
    assert.match(text, /Consumed by 4 nodes:/);
    assert.match(await ask({ path: 'llm.onnx', tensor: 'nope' }), /No tensor named "nope"/);
    assert.match(await ask({ path: 'llm.onnx', scope: 'nowhere' }), /No name scope "nowhere"/);
  });

  it('refuses what is not an ONNX model, or outside the workspace, as input errors', async () => {
    await assert.rejects(ask({ path: 'notes.onnx' }), (e: Error) => e instanceof ToolInputError && /notes\.onnx/.test(e.message));
    await assert.rejects(ask({ path: '../outside.onnx' }), ToolInputError);
    assert.equal(tool.input.safeParse({ path: 'llm.onnx', max_tokens: 10 }).success, false);
  });
});
