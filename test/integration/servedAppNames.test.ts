import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderServers } from '../../src/serving/agentServers';

// Two real apps in folders of the same name (models/a/api, models/b/api) served side by side by
// the toolset's FolderServers (uvicorn, Debian's python3-fastapi): each answers under its own name,
// so send_requests can never reach the wrong one.

const PYTHON = '/usr/bin/python3';

describe('Served apps with the same folder name', function () {
  this.timeout(120_000);
  let ws: string;
  let servers: FolderServers;
  before(() => {
    ws = mkdtempSync(join(tmpdir(), 'mle-names-'));
    for (const which of ['a', 'b']) {
      mkdirSync(join(ws, 'models', which, 'api'), { recursive: true });
      writeFileSync(join(ws, 'models', which, 'api', 'app.py'), `from fastapi import FastAPI\napp = FastAPI()\n\n@app.get("/health")\ndef health():\n    return {"status": "ok", "which": "${which}"}\n`);
    }
    servers = new FolderServers(() => Promise.resolve(PYTHON), ws);
  });
  after(async () => {
    await servers.dispose();
    rmSync(ws, { recursive: true, force: true });
  });

  it('the first keeps the folder name, the second is named by its path in the workspace; each name reaches its own app', async () => {
    const signal = new AbortController().signal;
    const a = await servers.start({ appDir: join(ws, 'models', 'a', 'api'), module: 'app' }, signal);
    const b = await servers.start({ appDir: join(ws, 'models', 'b', 'api'), module: 'app' }, signal);
    assert.deepEqual([a.name, b.name], ['api', 'models/b/api']);
    assert.deepEqual(servers.running().map((r) => r.name), ['api', 'models/b/api']);
    for (const [entry, which] of [[a, 'a'], [b, 'b']] as const) {
      const reply = await entry.server.call('/health');
      assert.equal((JSON.parse(reply.body) as { which: string }).which, which);
    }
    // Asked again, the same app is the same server, under the same name.
    assert.equal((await servers.start({ appDir: join(ws, 'models', 'a', 'api'), module: 'app' }, signal)).name, 'api');
  });
});
