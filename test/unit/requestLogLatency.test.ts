import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestLogLatency, requestLogPath } from '../../src/serving/requestLogLatency';

// The Deployments view's latency from an app's request log: tailed from the last offset, one
// request per run of rows with the same time and latency, across a rotation (renamed to .1, a new
// file begun), partial lines kept for the next read. Lines as json.dumps writes them.

const row = (ts: number, ms: number, source = 'request'): string => `{"a": 1, "__ts": ${ts}, "__latency_ms": ${ms}, "__prediction": "x", "__source": "${source}"}\n`;

describe('Deployments: latency from the request log', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-log-latency-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts what was appended after the first poll, a request per run of equal rows, across a rotation', async () => {
    const log = join(dir, 'requests.jsonl');
    writeFileSync(log, row(1, 99) + row(2, 99));
    const tail = new RequestLogLatency(log);
    assert.equal(await tail.poll(), false, 'the first poll marks the end: earlier runs are not counted');
    appendFileSync(log, row(3, 1.5) + row(3, 1.5) + row(3, 1.5) + row(4, 2.5, 'load_test') + row(5, 3.5).slice(0, 20));
    assert.equal(await tail.poll(), true);
    assert.equal(tail.latency.count, 2, 'a 3-row request is one request; the partial line waits');
    appendFileSync(log, row(5, 3.5).slice(20));
    // Rotated: the old file (with one more row) becomes .1, a new one starts.
    appendFileSync(log, row(6, 4.5));
    renameSync(log, `${log}.1`);
    writeFileSync(log, row(7, 5.5) + row(8, 6.5));
    assert.equal(await tail.poll(), true);
    assert.equal(tail.latency.count, 6);
    assert.deepEqual(tail.latency.percentiles(), { p50: 3.5, p95: 6.5 });
    assert.equal(await tail.poll(), false, 'nothing new');
    appendFileSync(log, row(9, 7.5));
    await tail.poll();
    assert.equal(tail.latency.count, 7);
  });

  it('a log that does not exist yet is read from its start once it does', async () => {
    const log = join(dir, 'logs', 'requests.jsonl');
    const tail = new RequestLogLatency(log);
    assert.equal(await tail.poll(), false);
    mkdirSync(join(dir, 'logs'));
    writeFileSync(log, row(1, 2));
    assert.equal(await tail.poll(), true);
    assert.equal(tail.latency.count, 1);
  });

  it('resolves the log as the app does: its folder by default, MODEL_REQUEST_LOG, off', () => {
    assert.equal(requestLogPath('/app', {}), join('/app', 'logs', 'requests.jsonl'));
    assert.equal(requestLogPath('/app', { MODEL_REQUEST_LOG: '/var/log/r.jsonl' }), '/var/log/r.jsonl');
    assert.equal(requestLogPath('/app', { MODEL_REQUEST_LOG: 'r.jsonl' }), join('/app', 'r.jsonl'));
    assert.equal(requestLogPath('/app', { MODEL_REQUEST_LOG: ' Off ' }), undefined);
  });
});
