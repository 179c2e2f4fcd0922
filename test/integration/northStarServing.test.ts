import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useChurnServingFolder } from '../support/churnServingFolder';

// The agent's serve_locally and send_requests (#20, the north star's serving step) in a folder's
// toolset, as `ml-engineer ask` and the MCP server run them: the scikit-learn app written for
// examples/models/churn_pipeline.joblib and run by Debian's python3-uvicorn + python3-fastapi (as
// serveLocally.test.ts runs it), the rows of a CSV sent to it, the app's request log read back.


describe('North star serving step: serve_locally and send_requests on a real uvicorn', function () {
  this.timeout(120_000);
  const f = useChurnServingFolder('mle-northstar-serve-', (ws) => {
    mkdirSync(join(ws, 'data'));
    // 120 rows the pipeline takes (plus an id it ignores), and one that it cannot (a text charge).
    const rows = Array.from({ length: 120 }, (_, i) => `C${i},${(i % 70) + 1},${(40 + (i % 50)).toFixed(2)},${i % 5},${i % 3}`);
    writeFileSync(join(ws, 'data', 'traffic.csv'), ['customer_id,tenure_months,monthly_charges,support_calls,contract_years', ...rows].join('\n') + '\n');
    writeFileSync(join(ws, 'data', 'bad.csv'), 'tenure_months,monthly_charges,support_calls,contract_years\n1,lots,2,1\n');
    writeFileSync(join(ws, 'notes.txt'), 'not a model');
  });

  it('both ask first (execute tools) and are scoped to the file they load', async () => {
    for (const name of ['serve_locally', 'send_requests']) assert.equal(f.tool(name).risk, 'execute', name);
    const scope = await f.tool('serve_locally').approvalScope!({ path: 'models/churn_pipeline.joblib' }, f.toolset.context);
    assert.match(scope, /churn_pipeline\.joblib:\d+:\d+:\d+:/);
    assert.match(f.tool('serve_locally').confirmation!({ path: 'models/churn_pipeline.joblib' }), /^Serve models\/churn_pipeline\.joblib on 127\.0\.0\.1 with your Python/);
  });

  it('send_requests before any server says to start one; serve_locally refuses what it cannot serve and paths outside', async () => {
    await assert.rejects(f.call('send_requests', { data: 'data/traffic.csv' }), /No model server is running: start one with serve_locally/);
    await assert.rejects(f.call('serve_locally', { path: 'notes.txt' }), /notes\.txt/);
    await assert.rejects(f.call('serve_locally', { path: '../outside.joblib' }), /outside the workspace/);
    await assert.rejects(f.call('serve_locally', { path: 'data' }), /holds no app\.py/);
    assert.ok(!existsSync(join(f.ws, 'deploy')), 'nothing written for a refused call');
  });

  it('serves the model once, sends a file\'s rows, and the app\'s request log holds each predicted row', async () => {
    const served = await f.call('serve_locally', { path: 'models/churn_pipeline.joblib' });
    assert.match(served.content, /^Serving deploy\/churn_pipeline-fastapi as server "churn_pipeline-fastapi" at http:\/\/127\.0\.0\.1:(\d+) /);
    assert.match(served.content, /features: tenure_months, monthly_charges, support_calls, contract_years\./);
    assert.doesNotMatch(served.content, /Bearer|token=/, 'the token stays with the extension');
    assert.ok(existsSync(join(f.ws, 'deploy', 'churn_pipeline-fastapi', 'app.py')));
    const url = /at (http:\/\/127\.0\.0\.1:\d+) /.exec(served.content)![1]!;
    // Loopback with a token: the app refuses a request without it.
    const refused = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"instances": []}' });
    assert.equal(refused.status, 401);

    // Asked again: the running server, not a second one.
    const again = await f.call('serve_locally', { path: 'models/churn_pipeline.joblib' });
    assert.match(again.content, /^Already serving deploy\/churn_pipeline-fastapi .* at (http:\/\/127\.0\.0\.1:\d+) /);
    assert.ok(again.content.includes(url));

    const sent = await f.call('send_requests', { data: 'data/traffic.csv', batch_size: 25, concurrency: 3 });
    assert.equal(sent.isError, undefined, sent.content);
    assert.match(sent.content, /^Sent 120 of the 120 rows of data\/traffic\.csv to churn_pipeline-fastapi .* in 5 requests of up to 25 rows, 3 at a time, .*: 5 × 200\.$/m);
    assert.match(sent.content, /^Round trip per request \(client side\): p50 [\d.]+ ms, p95 [\d.]+ ms, max [\d.]+ ms\.$/m);
    assert.match(sent.content, /^Request log: deploy\/churn_pipeline-fastapi\/logs\/requests\.jsonl holds 120 rows/m);
    const logged = readFileSync(join(f.ws, 'deploy', 'churn_pipeline-fastapi', 'logs', 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(logged.length, 120);
    assert.deepEqual(Object.keys(logged[7]!).filter((k) => !k.startsWith('__')).sort(), ['contract_years', 'monthly_charges', 'support_calls', 'tenure_months'], 'the features the model read, not the id');
    // Every row sent, each once (requests run 3 at a time: the log's order across requests is theirs).
    const key = (r: Record<string, unknown>): string => [r.tenure_months, r.monthly_charges, r.support_calls, r.contract_years].map(Number).join(',');
    const sentRows = Array.from({ length: 120 }, (_, i) => [(i % 70) + 1, 40 + (i % 50), i % 5, i % 3].join(','));
    assert.deepEqual(logged.map(key).sort(), sentRows.sort());
    // The predictions' counts are those the log records.
    const counts = new Map<string, number>();
    for (const row of logged) counts.set(JSON.stringify(row.__prediction), (counts.get(JSON.stringify(row.__prediction)) ?? 0) + 1);
    for (const [p, n] of counts) assert.ok(sent.content.includes(`${p}: ${n}`), `${p}: ${n} in ${sent.content}`);

    // Rows the model cannot take: the app's 422 said, the call an error, nothing logged.
    const bad = await f.call('send_requests', { data: 'data/bad.csv' });
    assert.equal(bad.isError, true);
    assert.match(bad.content, /1 × 422[\s\S]*First failed request: 422 .*check each feature's type/);
    assert.equal(readFileSync(join(f.ws, 'deploy', 'churn_pipeline-fastapi', 'logs', 'requests.jsonl'), 'utf8').trim().split('\n').length, 120);
    await assert.rejects(f.call('send_requests', { data: 'data/traffic.csv', server: 'other' }), /No running server "other"; running: churn_pipeline-fastapi/);
  });

  it('the toolset stops its servers when disposed', async () => {
    const running = await f.call('serve_locally', { path: 'models/churn_pipeline.joblib' });
    const url = /at (http:\/\/127\.0\.0\.1:\d+) /.exec(running.content)![1]!;
    assert.equal((await fetch(`${url}/health`)).status, 200);
    await f.toolset.dispose();
    await assert.rejects(fetch(`${url}/health`), 'nothing answers on its port once the toolset is disposed');
    f.renew();
  });

  it('two asks at once start one server; a start still under way when the toolset is disposed is stopped', async () => {
    const path = 'models/churn_pipeline.joblib';
    const [a, b] = await Promise.all([f.call('serve_locally', { path }), f.call('serve_locally', { path })]);
    const urlOf = (text: string): string => /at (http:\/\/127\.0\.0\.1:\d+) /.exec(text)![1]!;
    assert.equal(urlOf(a.content), urlOf(b.content), 'one server for both');
    await f.toolset.dispose();
    await assert.rejects(fetch(`${urlOf(a.content)}/health`));

    f.renew();
    const starting = f.call('serve_locally', { path });
    const closed = f.toolset.dispose();
    await assert.rejects(starting, /the tools were closed while the server started/);
    await closed;
    f.renew();
  });
});
