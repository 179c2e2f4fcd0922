import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareInvocation } from '../../src/lmtools/lmToolCatalog';
import { useChurnServingFolder } from '../support/churnServingFolder';

// The agent's stop_server in a folder's toolset against the scikit-learn app serve_locally runs
// with Debian's python3-uvicorn: found by model path, name or URL, stopped for real (its port stops
// answering), with what it served in the answer; its app folder and request log stay.

const CHURN = join(__dirname, '..', '..', 'examples', 'models', 'churn_pipeline.joblib');
const ROW = { tenure_months: 12, monthly_charges: 70.5, support_calls: 2, contract_years: 1 };

describe('stop_server: the agent stops a real uvicorn server it started', function () {
  this.timeout(120_000);
  const f = useChurnServingFolder('mle-stopserver-', (ws) => {
    cpSync(CHURN, join(ws, 'models', 'other.joblib'));
    // The same file name in another folder (the same bytes, too): a model of its own all the same.
    mkdirSync(join(ws, 'models', 'v2'));
    cpSync(CHURN, join(ws, 'models', 'v2', 'churn_pipeline.joblib'));
  });

  it('asks first in the words of a write that changes no file', () => {
    const stop = f.tool('stop_server');
    assert.equal(stop.risk, 'write');
    assert.equal(stop.confirmation!({ path: 'models/churn_pipeline.joblib' }), 'Stop the local model server serving models/churn_pipeline.joblib');
    const card = prepareInvocation(stop, { server: 'churn_pipeline-fastapi' });
    assert.match(card.confirmation!.message, /^\*\*Stop the local model server churn_pipeline-fastapi\*\*\n\nThis stops a local model server: its URL stops answering \(the app folder and its logs stay\)\.$/);
  });

  it('by model path: stops it, says what it served; by name or URL; none left says so', async () => {
    await assert.rejects(f.call('stop_server', {}), /No model server is running: start one with serve_locally/);
    const served = await f.call('serve_locally', { path: 'models/churn_pipeline.joblib' });
    const url = /at (http:\/\/127\.0\.0\.1:\d+) /.exec(served.content)![1]!;
    const sent = await f.call('load_test', { requests: 6, concurrency: 2 });
    assert.match(sent.content, /^\| ok \| 6 \|$/m);
    // Two refused requests (no token is a 401 from the app's guard).
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [ROW] }) })).status, 401);
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(f.call('stop_server', { path: 'models/other.joblib' }), /No running server serves models\/other\.joblib; running: churn_pipeline-fastapi \(http/);

    const stopped = await f.call('stop_server', { path: 'models/churn_pipeline.joblib' });
    assert.match(stopped.content, new RegExp(`^Stopped churn_pipeline-fastapi \\(${url}\\), which served deploy/churn_pipeline-fastapi/app\\.py for under a minute\\.$`, 'm'));
    assert.match(stopped.content, /^It answered 8 \/predict requests, 2 of them with an error status/m);
    assert.match(stopped.content, /^Its request log stays: deploy\/churn_pipeline-fastapi\/logs\/requests\.jsonl\./m);
    assert.equal(stopped.summary, 'stopped churn_pipeline-fastapi: 8 requests, 2 errors');
    await assert.rejects(fetch(`${url}/health`), 'nothing answers on its port once stopped');
    assert.ok(existsSync(join(f.ws, 'deploy', 'churn_pipeline-fastapi', 'app.py')), 'the app folder stays');
    await assert.rejects(f.call('stop_server', { server: 'churn_pipeline-fastapi' }), /No model server is running/);

    // Started again, stopped by URL.
    const again = await f.call('serve_locally', { path: 'models/churn_pipeline.joblib' });
    const second = /at (http:\/\/127\.0\.0\.1:\d+) /.exec(again.content)![1]!;
    assert.match((await f.call('stop_server', { server: `${second}/` })).content, /^Stopped churn_pipeline-fastapi .*\nIt answered 0 \/predict requests, 0 of them/);
    await assert.rejects(fetch(`${second}/health`));
  });

  it('two models of one file name: two app folders, each found again, stop_server by path stops that very one', async () => {
    const first = await f.call('serve_locally', { path: 'models/churn_pipeline.joblib' });
    const second = await f.call('serve_locally', { path: 'models/v2/churn_pipeline.joblib' });
    assert.match(first.content, /^Serving deploy\/churn_pipeline-fastapi as server "churn_pipeline-fastapi" /m);
    const own = /^Serving deploy\/(churn_pipeline-[0-9a-f]{8}-fastapi) as server "\1" at (http:\/\/127\.0\.0\.1:\d+) /m.exec(second.content);
    assert.ok(own, second.content);
    assert.match(second.content, /^Wrote the app: /m, 'its own app, not the first model\'s');
    assert.deepEqual(JSON.parse(readFileSync(join(f.ws, 'deploy', own[1]!, 'served_model.json'), 'utf8')), { model: 'models/v2/churn_pipeline.joblib' });
    const again = await f.call('serve_locally', { path: 'models/v2/churn_pipeline.joblib' });
    assert.match(again.content, new RegExp(`^Already serving deploy/${own[1]} `, 'm'));

    const stopped = await f.call('stop_server', { path: 'models/v2/churn_pipeline.joblib' });
    assert.match(stopped.content, new RegExp(`^Stopped ${own[1]} \\(${own[2]}\\)`, 'm'));
    const firstUrl = /at (http:\/\/127\.0\.0\.1:\d+) /.exec(first.content)![1]!;
    assert.equal((await fetch(`${firstUrl}/health`)).status, 200, 'the other model\'s server still answers');
    assert.match((await f.call('stop_server', { path: 'models/churn_pipeline.joblib' })).content, /^Stopped churn_pipeline-fastapi /m);
    // Served again later, each model gets its own folder back (the app is not written twice).
    const back = await f.call('serve_locally', { path: 'models/v2/churn_pipeline.joblib' });
    assert.match(back.content, new RegExp(`^Serving deploy/${own[1]} `, 'm'));
    assert.doesNotMatch(back.content, /^Wrote the app/m);
    await f.call('stop_server', {});
  });
});
