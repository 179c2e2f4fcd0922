import * as assert from 'node:assert/strict';
import { latencyAB } from '../../src/models/compare/abLatency';

// The latency part of an A/B in words: a faster arm named only when the interval of the p50
// difference excludes 0; "no measurable difference" when it includes 0; in turns or not, said.

describe('A/B latency per arm', () => {
  const noisy = (base: number, n: number, seed: number) => Array.from({ length: n }, (_, i) => base + (((i * 7919 + seed) % 101) / 100) * 0.2);

  it('a clearly slower B: A named faster, p50 and p95 per arm, the interval of B − A above 0', () => {
    const l = latencyAB({ a: noisy(1, 200, 3), b: noisy(2, 200, 5), inTurns: true }, ['a.onnx', 'b.onnx']);
    assert.ok(l);
    assert.ok(l.p50Diff.low > 0.8 && l.p50Diff.high < 1.2, JSON.stringify(l.p50Diff));
    assert.equal(l.a.calls, 200);
    assert.ok(l.a.p95Ms > l.a.p50Ms);
    assert.match(l.sentence, /^Latency: a\.onnx is faster per one-row call \(p50 1\.\d+ ms for a\.onnx, 2\.\d+ ms for b\.onnx; B − A \+1\.\d+ ms, 95% CI \[\+0\.\d+ ms, \+1\.\d+ ms\]; 200 one-row calls each, in turns\)\.$/);
  });

  it('the same latency: no measurable difference, the interval including 0; not in turns is said', () => {
    const l = latencyAB({ a: noisy(1, 120, 3), b: noisy(1, 120, 41), inTurns: false }, ['a.pkl', 'b.onnx']);
    assert.ok(l);
    assert.ok(l.p50Diff.low <= 0 && l.p50Diff.high >= 0, JSON.stringify(l.p50Diff));
    assert.match(l.sentence, /^Latency: no measurable difference \(.* includes 0; 120 one-row calls each, in different runtimes one after the other \(not in turns: a load change would favour one\)\)\.$/);
  });

  it('fewer than 5 turns: no latency part', () => {
    assert.equal(latencyAB({ a: [1, 2, 3, 4], b: [1, 2, 3, 4], inTurns: true }, ['a', 'b']), undefined);
  });
});
