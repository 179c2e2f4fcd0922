import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { keptApp, KeptServers, type KeptServerRecord } from '../../src/serving/keptServers';
import { LocalModelServer } from '../../src/serving/localServer';
import { approvedModulesEnv } from '../../src/serving/pickledWorkspaceModules';
import { APPROVED_MODULES_ENV } from '../../src/serving/userModules';
import { planServeApp } from '../../src/serving/servePlan';
import { eventually } from '../support/eventually';

// Keep Running After Window Closes, for real: a host process (tsx) starts the scikit-learn app, keeps
// it and records it as the extension does, then is killed with SIGKILL (a window closed or crashed).
// The server still answers; a second "window" finds it again from the record and the token in the
// secret store, calls it, and stops it. The approval of the workspace modules it was served with is
// kept with it, so its Restart runs the same approved files.

const PYTHON = '/usr/bin/python3';
const CHURN = join(__dirname, '..', '..', 'examples', 'models', 'churn_pipeline.joblib');
const ROW = { tenure_months: 12, monthly_charges: 70.5, support_calls: 2, contract_years: 1 };

class MemoryState {
  readonly values = new Map<string, unknown>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  update(key: string, value: unknown): Thenable<void> {
    this.values.set(key, JSON.parse(JSON.stringify(value)));
    return Promise.resolve();
  }
}
class MemorySecrets {
  readonly values = new Map<string, string>();
  get(key: string): Thenable<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }
  store(key: string, value: string): Thenable<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
  delete(key: string): Thenable<void> {
    this.values.delete(key);
    return Promise.resolve();
  }
}

describe('Keep Running After Window Closes: a kept server outlives its window and is found again', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-kept-'));
    writeDeployment(planServeApp(inspectModel(CHURN), CHURN), join(dir, 'churn'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('survives the SIGKILL of its host, is adopted from the record, answers with the token, and stops', async () => {
    const appDir = join(dir, 'churn');
    const logFile = join(appDir, 'logs', 'server.log');
    const script = [
      `const { LocalModelServer } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'serving', 'localServer.ts'))});`,
      `require('node:fs').mkdirSync(${JSON.stringify(join(appDir, 'logs'))}, { recursive: true });`,
      `LocalModelServer.start({ python: ${JSON.stringify(PYTHON)}, appDir: ${JSON.stringify(appDir)}, module: 'app' })`,
      `  .then((s) => { s.keep(${JSON.stringify(logFile)}); console.log('KEPT ' + JSON.stringify({ port: s.port, pid: s.pid, token: s.token, loadTestKey: s.loadTestKey, startedAt: s.startedAt })); }, (e) => { console.error(e); process.exit(1); });`,
    ].join('\n');
    const host = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const kept = await new Promise<{ port: number; pid: number; token: string; loadTestKey: string; startedAt: number }>((resolve, reject) => {
      let out = '';
      host.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /KEPT (\{.*\})/.exec(out);
        if (m) resolve(JSON.parse(m[1]!) as { port: number; pid: number; token: string; loadTestKey: string; startedAt: number });
      });
      host.once('exit', (code) => reject(new Error(`the host exited (${code}) before the server was kept`)));
    });
    const state = new MemoryState();
    const secrets = new MemorySecrets();
    // As served from a pickle that imports a workspace module: its approval (paths and sha256) goes with the record.
    const env = approvedModulesEnv([{ file: join(dir, 'mle_step.py'), sha256: 'a'.repeat(64) }], dir);
    const record: KeptServerRecord = { name: 'churn', appDir, module: 'app', python: PYTHON, port: kept.port, pid: kept.pid, startedAt: kept.startedAt, logFile, env };
    await new KeptServers(state, secrets).keep(record, kept);
    assert.ok(!JSON.stringify([...state.values]).includes(kept.token), 'the token is in the secret store only');
    assert.ok(!JSON.stringify([...state.values]).includes(kept.loadTestKey), 'the load-test key too');
    host.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await fetch(`http://127.0.0.1:${kept.port}/health`)).status, 200, 'the server outlives its window');

    const found = await new KeptServers(state, secrets).restore();
    assert.equal(found.length, 1);
    const server = found[0]!.server;
    assert.ok(server.kept && server.state === 'running');
    assert.equal(server.startedAt, kept.startedAt);
    assert.equal(server.loadTestKey, kept.loadTestKey, 'its load tests are marked as before');
    // Restart starts keptApp(record): the app with the approval it was served with, not without one.
    assert.deepEqual(keptApp(found[0]!.record), { appDir, module: 'app', env });
    assert.match(server.options.env?.[APPROVED_MODULES_ENV] ?? '', /"mle_step":\[".*mle_step\.py","a{64}"\]/);
    const answer = await server.call('/predict', JSON.stringify({ instances: [ROW] }));
    assert.equal(answer.status, 200, answer.body);
    assert.match(readFileSync(logFile, 'utf8'), /kept running after the window closes/);

    // An older record (kept before load-test keys): its secret is the plain token. It loads, without a key.
    const olderState = new MemoryState();
    const olderSecrets = new MemorySecrets();
    // Kept before approvals were stored too: no env, restarted as it was served.
    const { env: _, ...olderRecord } = record;
    await new KeptServers(olderState, olderSecrets).save(olderRecord, kept.token);
    const older = await new KeptServers(olderState, olderSecrets).restore();
    assert.deepEqual(older.map((f) => [f.server.token, f.server.loadTestKey]), [[kept.token, undefined]]);
    assert.deepEqual(keptApp(older[0]!.record), { appDir, module: 'app' });
    assert.equal((await older[0]!.server.call('/predict', JSON.stringify({ instances: [ROW] }))).status, 200);
    // A secret that cannot be read: the server cannot be called; said (which one, how to stop it), then forgotten.
    const brokenState = new MemoryState();
    const brokenSecrets = new MemorySecrets();
    await new KeptServers(brokenState, brokenSecrets).save(record, '{"token": "' + kept.token);
    const problems: string[] = [];
    assert.deepEqual(await new KeptServers(brokenState, brokenSecrets).restore((m) => problems.push(m)), []);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, new RegExp(`^Kept model server churn \\(pid ${kept.pid}, port ${kept.port}\\) still runs, but its token could not be read from its stored secret \\(.+\\), so it cannot be called and is no longer listed\\. Stop it with \`kill ${kept.pid}\``));
    assert.ok(!problems[0]!.includes(kept.token), 'the message does not show the secret');
    assert.deepEqual(new KeptServers(brokenState, brokenSecrets).list(), []);

    await server.stop();
    assert.throws(() => process.kill(kept.pid, 0), 'the kept server is gone after stop');
    assert.equal(await fetch(`http://127.0.0.1:${kept.port}/health`).then(() => 'up', () => 'down'), 'down');
    // The next window drops the record of a server that is gone.
    assert.deepEqual(await new KeptServers(state, secrets).restore(), []);
    assert.deepEqual(new KeptServers(state, secrets).list(), []);
    assert.equal(secrets.values.size, 0);
  });

  it('rotates a kept server\'s log at a size, keeping a few old files, and loses no line', async () => {
    const appDir = join(dir, 'churn');
    const logFile = join(appDir, 'logs', 'rotated.log');
    mkdirSync(join(appDir, 'logs'), { recursive: true });
    const cap = 3000;
    const server = await LocalModelServer.start({ python: PYTHON, appDir, module: 'app', env: { MODEL_SERVER_LOG_BYTES: String(cap), MODEL_SERVER_LOG_FILES: '2', MODEL_REQUEST_LOG: 'off' } });
    try {
      server.keep(logFile);
      // uvicorn's access lines (~60 bytes each) over 5 s: the log passes its cap several times.
      const sent = 300;
      for (let i = 0; i < sent; i++) {
        assert.equal((await fetch(`${server.url}/health?i=${i}`)).status, 200);
        await new Promise((r) => setTimeout(r, 15));
      }
      // The access lines reach the log after the answers, and the log is rotated by a check every
      // second: wait for the last request's line (in the log or, rotated, in .1) and the check after it.
      const last = `"GET /health?i=${sent - 1} HTTP`;
      const logState = (): { last: boolean; bytes: number } => ({ last: [logFile, `${logFile}.1`].some((f) => existsSync(f) && readFileSync(f, 'utf8').includes(last)), bytes: statSync(logFile).size });
      await eventually("the last request's line in the log, rotated under its cap", logState, (s) => s.last && s.bytes <= cap, { timeoutMs: 15_000 });
      const files = [`${logFile}.2`, `${logFile}.1`, logFile];
      assert.ok(files.every((f) => existsSync(f)) && !existsSync(`${logFile}.3`), 'the log and 2 old files');
      assert.ok(statSync(logFile).size <= cap, `${statSync(logFile).size} bytes after the last rotation`);
      for (const old of files.slice(0, 2)) assert.ok(statSync(old).size > cap && statSync(old).size < cap * 4, `${old}: ${statSync(old).size} bytes`);
      // Oldest to newest, the files hold a run of requests that ends with the last one: none lost.
      const seen = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/"GET \/health\?i=(\d+) HTTP/g)].map((m) => Number(m[1])));
      assert.ok(seen.length > 50 && seen.length < sent, `${seen.length} lines kept`);
      assert.deepEqual(seen, Array.from({ length: seen.length }, (_, k) => sent - seen.length + k));
    } finally {
      await server.stop();
    }
  });
});
