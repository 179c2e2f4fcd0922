import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LatencyWindow, servedModelFile } from '../../src/serving/servedStats';

// The Deployments view's latency and model rows.

describe('Deployments: latency per server and the served model file', () => {
  it('p50/p95 by nearest rank over the last 2,000 requests; "—" before any', () => {
    const w = new LatencyWindow();
    assert.equal(w.text(), '—');
    w.record(...Array.from({ length: 100 }, (_, i) => i + 1));
    assert.deepEqual(w.percentiles(), { p50: 50, p95: 95 });
    assert.equal(w.text(), 'p50 50 ms · p95 95 ms (100 requests)');
    w.record(NaN, -1);
    assert.equal(w.count, 100, 'nonsense is not a latency');
    w.record(...Array.from({ length: 2000 }, () => 2.25));
    assert.equal(w.count, 2000);
    assert.equal(w.text(), 'p50 2.3 ms · p95 2.3 ms (2000 requests)');
  });

  it("names the model file in a generated app's model/ folder, not its external data; none for a user's own app", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-served-'));
    try {
      assert.equal(servedModelFile(dir), undefined);
      mkdirSync(join(dir, 'model'));
      writeFileSync(join(dir, 'model', 'weights.data'), '');
      writeFileSync(join(dir, 'model', 'net.pt'), '');
      assert.equal(servedModelFile(dir), join(dir, 'model', 'net.pt'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
