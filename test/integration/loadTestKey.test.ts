import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { runLoadTest } from '../../src/serving/loadTest';
import { LocalModelServer } from '../../src/serving/localServer';
import { LOAD_TEST_HEADER } from '../../src/serving/requestLogText';
import { planServeApp } from '../../src/serving/servePlan';

// The load-test header counts only with the served app's own key: two scikit-learn apps served for
// real (Debian's python3-uvicorn), each with a random key made at its start. Our load tester's rows
// (the key sent) are the load test's; the header with "1", a wrong key, the other server's key, or no
// header at all leaves the rows as traffic, which drift then compares.

const PYTHON = '/usr/bin/python3';
const CHURN = join(__dirname, '..', '..', 'examples', 'models', 'churn_pipeline.joblib');
const BODY = JSON.stringify({ instances: [{ tenure_months: 12, monthly_charges: 70.5, support_calls: 2, contract_years: 1 }] });

describe('The load-test key: only our load tester marks its rows', function () {
  this.timeout(120_000);
  let dir: string;
  const servers: LocalModelServer[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-loadkey-'));
    writeDeployment(planServeApp(inspectModel(CHURN), CHURN), join(dir, 'churn'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (log: string): Promise<LocalModelServer> => {
    const server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'churn'), module: 'app', env: { MODEL_REQUEST_LOG: join(dir, log) } });
    servers.push(server);
    return server;
  };
  // The rows written so far (the app writes what requests queued every 0.2 s).
  const sources = (log: string): unknown[] => (existsSync(join(dir, log)) ? readFileSync(join(dir, log), 'utf8') : '').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Record<string, unknown>).__source);

  it('the right key marks the rows as the load test\'s; "1", a wrong key, another server\'s or none leave them traffic', async () => {
    const [a, b] = [await start('a.jsonl'), await start('b.jsonl')];
    assert.ok(a.loadTestKey && b.loadTestKey && a.loadTestKey !== b.loadTestKey && a.loadTestKey !== a.token, 'a key of its own per server, not its token');
    assert.ok(a.loadTestKey.length >= 32);
    const spec = { url: `${a.url}/predict`, token: a.token, bodies: [BODY], concurrency: 2, durationMs: 30_000 };
    // Our load tester with the key: 6 requests, each one row.
    const ours = await runLoadTest({ ...spec, requests: 6, loadTestKey: a.loadTestKey });
    assert.equal(ours.ok, 6, JSON.stringify(ours.errors));
    // A client holding the token, with the header but not the key (or the other server's): traffic.
    for (const value of ['1', 'x'.repeat(a.loadTestKey.length), b.loadTestKey, `${a.loadTestKey}x`]) {
      const answer = await fetch(`${a.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${a.token}`, [LOAD_TEST_HEADER]: value }, body: BODY });
      assert.equal(answer.status, 200);
    }
    // The load tester without a key (a kept server recorded before keys): traffic too.
    assert.equal((await runLoadTest({ ...spec, requests: 2 })).ok, 2);
    const want = { load_test: 6, request: 4 + 2 };
    let got: Record<string, number> = {};
    for (let waited = 0; waited < 5000; waited += 100) {
      got = {};
      for (const s of sources('a.jsonl')) got[String(s)] = (got[String(s)] ?? 0) + 1;
      if ((got['load_test'] ?? 0) + (got['request'] ?? 0) >= 12) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(got, want);
    // The other server's key marks its own rows only.
    assert.equal((await runLoadTest({ ...spec, url: `${b.url}/predict`, token: b.token, requests: 3, loadTestKey: b.loadTestKey })).ok, 3);
    for (let waited = 0; sources('b.jsonl').length < 3 && waited < 5000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(sources('b.jsonl'), ['load_test', 'load_test', 'load_test']);
    // Once requests were served (access and error lines come after them): no key in either server's output or request log.
    const served = (s: LocalModelServer): number => (s.recentOutput().match(/POST \/predict/g) ?? []).length;
    for (let waited = 0; (served(a) < 12 || served(b) < 3) && waited < 5000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([served(a), served(b)], [12, 3], 'the access lines of the requests sent');
    for (const text of [a.recentOutput(), b.recentOutput(), readFileSync(join(dir, 'a.jsonl'), 'utf8'), readFileSync(join(dir, 'b.jsonl'), 'utf8')]) {
      assert.ok(!text.includes(a.loadTestKey) && !text.includes(b.loadTestKey), 'no load-test key in an output or a request log');
    }
  });
});
