import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel } from '../../src/models/inspectModel';
import { rowScores, scorePlan, withGraphOutput } from '../../src/models/compare/onnxScores';

// Which ONNX output gives an A/B its class scores, and the one rewrite it makes (a graph output
// added to a real ONNX file from the onnx project's corpus, every other byte kept).

const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'onnx', 'simple', 'test_single_relu_model.onnx');

describe('ONNX class scores for the A/B', () => {
  it('probabilities as they are, logits softmaxed, anything else refused with the reason', () => {
    assert.deepEqual(scorePlan([{ name: 'label', dtype: 'int64', shape: ['N'] }, { name: 'probabilities', dtype: 'float32', shape: ['N', 2] }]), { output: 'probabilities', softmax: false, how: 'the output probabilities' });
    assert.deepEqual(scorePlan([{ name: 'logits', dtype: 'float32', shape: ['batch', 2] }]), { output: 'logits', softmax: true, how: 'softmax of the output logits (logits)' });
    assert.equal(scorePlan([{ name: 'output', dtype: 'float32', shape: ['N', 3] }]), 'its output output is named neither probabilities nor logits');
    assert.equal(scorePlan([{ name: 'label', dtype: 'int64', shape: ['N'] }, { name: 'output', dtype: 'float32', shape: ['N', 2] }]), 'its output output is named neither probabilities nor logits');
    assert.equal(scorePlan([{ name: 'label', dtype: 'int64', shape: ['N'] }]), 'it has no class-score output');
    const softmax = rowScores([1000, 1001], 0, 2, true);
    assert.ok(Math.abs(softmax[1]! - 1 / (1 + Math.exp(-1))) < 1e-12, 'large logits do not overflow');
  });

  it("a model's only output of two columns (torch.onnx.export's `output`) is softmaxed: logits or probabilities, the ranking is the same", () => {
    const plan = scorePlan([{ name: 'output', dtype: 'float32', shape: ['batch', 2] }]);
    assert.ok(typeof plan !== 'string' && plan.output === 'output' && plan.softmax, JSON.stringify(plan));
    // Probabilities through the softmax keep their order by column 1 (what ROC AUC and average precision read).
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const p1 = Array.from({ length: 500 }, random);
    const flat = p1.flatMap((p) => [1 - p, p]);
    const scored = p1.map((_, row) => rowScores(flat, row, 2, true)[1]!);
    const order = (v: number[]): number[] => v.map((_, i) => i).sort((a, b) => v[a]! - v[b]!);
    assert.deepEqual(order(scored), order(p1));
  });

  it('withGraphOutput adds one output to a real model and keeps the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-scores-'));
    try {
      const original = readFileSync(CORPUS);
      const before = inspectModel(CORPUS);
      const path = join(dir, 'plus.onnx');
      writeFileSync(path, withGraphOutput(original, 'x'));
      const after = inspectModel(path);
      assert.deepEqual(after.outputs?.slice(0, -1), before.outputs);
      assert.equal(after.outputs?.at(-1)?.name, 'x');
      assert.deepEqual(after.inputs, before.inputs);
      assert.throws(() => withGraphOutput(original.subarray(0, 3), 'x'), /ends inside a field|no graph/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
