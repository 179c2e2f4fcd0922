import assert from 'node:assert/strict';
import { intervalVerdict } from '../../src/models/compare/abStatsVerdict';

// The A/B's one sentence on a metric with a bootstrap interval (abStats.ts).
describe('A/B verdict on an interval', () => {
  const four = (x: number): string => x.toFixed(4);
  const names = ['a.onnx', 'b.onnx'] as const;

  it('names the better side, the gain and whether its interval excludes 0', () => {
    assert.equal(
      intervalVerdict('roc_auc', names, 0.8, 0.85, { low: 0.02, high: 0.08 }, true, four),
      'b.onnx is better than a.onnx on ROC AUC by 0.0500 (0.8500 vs 0.8000), 95% CI of the gain [0.0200, 0.0800]: the interval excludes 0.',
    );
    // Lower is better (MAE): A wins, and the gain's interval is turned round.
    assert.equal(
      intervalVerdict('mae', names, 1.2, 1.5, { low: 0.1, high: 0.5 }, false, four),
      'a.onnx is better than b.onnx on MAE by 0.3000 (1.2000 vs 1.5000), 95% CI of the gain [0.1000, 0.5000]: the interval excludes 0.',
    );
  });

  it('calls two models level where they are equal as shown and the interval holds 0 (not "better by 0.0000")', () => {
    assert.equal(
      intervalVerdict('roc_auc', names, 0.82581, 0.82578, { low: -0.0003, high: 0.0003 }, true, four),
      'a.onnx and b.onnx are level on ROC AUC (0.8258 each as shown), 95% CI of B − A [-0.0003, 0.0003]: not a significant difference.',
    );
    // Equal as shown but told apart by the interval: still a win, said as one.
    assert.match(intervalVerdict('roc_auc', names, 0.82581, 0.82578, { low: -0.0001, high: -0.00001 }, true, four), /^a\.onnx is better than b\.onnx on ROC AUC/);
  });
});
