import * as assert from 'node:assert/strict';
import type { LoadTestResult } from '../../src/serving/loadTest';
import { loadTestView } from '../../src/serving/loadTestChart';
import { parseFromLoadTestView } from '../../src/serving/protocol';

// The load test chart's data: the timeline in time order with failures apart, a histogram whose
// counts add up to the successful requests, and the host's check of what the webview sends.

const result = (timeline: [number, number, 0 | 1][]): LoadTestResult => ({
  url: 'http://127.0.0.1:1/predict',
  concurrency: 2,
  sent: timeline.length,
  ok: timeline.filter((p) => p[2]).length,
  errors: { 'HTTP 422': timeline.filter((p) => !p[2]).length },
  wallMs: 1000,
  throughput: timeline.length,
  latency: { runs: 101, totalMs: 500, meanMs: 5, stdMs: 2, ciHalfWidthMs: 0.4, p50Ms: 4, p95Ms: 9, p99Ms: 10, minMs: 1, maxMs: 100 },
  timeline,
  stop: 'count',
});

describe('Load test chart data', () => {
  it('latency over the run in time order, failures apart, and a histogram of the successful requests', () => {
    const timeline: [number, number, 0 | 1][] = Array.from({ length: 100 }, (_, i) => [1000 - i * 10, (i % 10) + 1, 1]);
    timeline.push([500, 3, 0], [20, 1000, 1]);
    const view = loadTestView(result(timeline), 'churn');
    assert.equal(view.t.length, 102);
    assert.deepEqual([...view.t].sort((a, b) => a - b), view.t, 'in time order');
    assert.equal(view.t[0], 0.01);
    assert.equal(view.ok.filter((v) => v === null).length, 1);
    assert.deepEqual(view.failed.filter((v) => v !== null), [3]);
    assert.equal(view.counts.reduce((a, b) => a + b, 0), 101, 'every successful request in a bin');
    assert.ok([0.2, 0.5, 1, 2, 5].includes(view.binMs), `a nice bin width: ${view.binMs}`);
    assert.equal(view.counts.at(-1)! >= 1, true, 'the slow outlier falls in the last bin');
    assert.deepEqual(view.marks.map((m) => m.label), ['p50', 'p95', 'p99']);
    assert.match(view.summary, /^101\/102 ok at concurrency 2/);
  });

  it('no successful request: no bins, no marks', () => {
    const view = loadTestView({ ...result([[0, 2, 0]]), latency: undefined }, 'x');
    assert.deepEqual(view.counts, []);
    assert.deepEqual(view.marks, []);
  });

  it('the host takes only the messages it knows', () => {
    assert.deepEqual(parseFromLoadTestView({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromLoadTestView({ type: 'openReport' }), { type: 'openReport' });
    assert.equal(parseFromLoadTestView({ type: 'openReport', path: '/etc/passwd' }), undefined);
    assert.equal(parseFromLoadTestView({ type: 'run' }), undefined);
    assert.equal(parseFromLoadTestView('ready'), undefined);
  });
});
