import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../src/common/errors';
import { whyDisconnected } from '../../src/kernels/connectionCheck';
import { execute, type Execution } from '../../src/kernels/execution';
import { probeServer, type JupyterEndpoint } from '../../src/kernels/jupyterEndpoint';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { openKernel } from '../../src/kernels/openKernel';
import type { CellOutput } from '../../src/kernels/outputModel';
import { connectServer, readServer } from '../../src/kernels/serverConnect';
import { lib, waitFor } from '../support/jupyterHarness';
import { startJupyterHub, type JupyterHubFixture } from '../support/jupyterHubHarness';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy';

function stdout(outputs: readonly CellOutput[]): string {
  return outputs.map((o) => (o.type === 'stream' && o.name === 'stdout' ? o.text : '')).join('');
}

const LOOP = (n: number, seconds: number) => `import time\nfor i in range(${n}):\n    print(i, flush=True)\n    time.sleep(${seconds})`;

/**
 * A real JupyterHub (Debian's jupyterhub, configurable-http-proxy from npm, a single-user
 * Jupyter server spawned for the user) reached through our connect flow, kernel start and
 * execution: what a user with a hub account and an API token does.
 */
describe('Jupyter kernels on a real JupyterHub user server', function () {
  this.timeout(120_000);
  let hub: JupyterHubFixture;
  const connections: KernelConnection[] = [];
  const proxies: TcpProxy[] = [];

  before(async function () {
    this.timeout(180_000);
    hub = await startJupyterHub();
    console.log(`      JupyterHub answered after ${hub.timings.hubMs} ms; the user's server spawned in ${hub.timings.spawnMs} ms`);
  });
  after(async () => {
    for (const c of connections) if (!c.isDisposed) c.dispose();
    for (const p of proxies) p.close();
    await hub?.close();
  });

  async function open(endpoint: JupyterEndpoint, previous?: Parameters<typeof openKernel>[2]['previous']) {
    const opened = await openKernel(lib, endpoint, { serverId: 'hub', spec: 'python3', ...(previous ? { previous } : {}) });
    connections.push(opened.connection);
    await waitFor(() => opened.connection.connectionStatus === 'connected' && opened.connection.status === 'idle', 60_000, 'the kernel to be idle');
    return opened;
  }

  async function viaProxy(): Promise<TcpProxy> {
    const proxy = await startTcpProxy(new URL(hub.url).port);
    proxies.push(proxy);
    return proxy;
  }

  it('connects with the user server URL as the browser shows it, and an API token', async () => {
    const server = await connectServer(`${hub.userServerUrl}lab/tree/train.ipynb`, hub.userToken.token);
    assert.equal(server.baseUrl, hub.userServerUrl);
    assert.equal(server.label, `127.0.0.1:${new URL(hub.url).port}/user/${hub.user}`);
    assert.ok(server.specs >= 1);
    assert.match(server.id, /^remote-/);
  });

  it("finds the token owner's server from the hub's own pages", async () => {
    for (const page of [`${hub.url}hub/home`, hub.url, `${hub.url}hub/user/${hub.user}/lab`, `${hub.url}hub/token`]) {
      const server = await connectServer(page, hub.userToken.token);
      assert.equal(server.baseUrl, hub.userServerUrl, page);
    }
  });

  it('says a wrong token is refused, by the hub and by the user server', async () => {
    for (const page of [hub.userServerUrl, `${hub.url}hub/home`]) {
      await assert.rejects(connectServer(page, 'not-a-token'), (error: unknown) => {
        assert.ok(isUserError(error));
        assert.match(error.message, /refused the token \(HTTP 403\)/);
        return true;
      });
    }
  });

  it('lists the kernel specs and the running kernels', async () => {
    const contents = await readServer(lib, { baseUrl: hub.userServerUrl, token: hub.userToken.token });
    const python = contents.specs.find((s) => s.name === 'python3');
    assert.equal(python?.language, 'python');
    assert.match(python?.displayName ?? '', /Python 3/);
    assert.equal(contents.defaultSpec, 'python3');
    assert.ok(Array.isArray(contents.kernels));
  });

  it('starts a kernel and runs cells: text, a result, a display and an error', async () => {
    const endpoint = { baseUrl: hub.userServerUrl, token: hub.userToken.token };
    const { connection, binding, reconnected } = await open(endpoint);
    assert.equal(reconnected, false);
    const run = execute(connection, 'import os\nprint("hello from", os.environ.get("JUPYTERHUB_USER"))\n6 * 7');
    assert.equal(await run.done, 'ok');
    assert.equal(stdout(run.outputs.outputs), `hello from ${hub.user}\n`);
    const result = run.outputs.outputs.at(-1);
    assert.equal(result?.type === 'execute_result' ? result.data['text/plain'] : '', '42');
    const display = execute(connection, 'from IPython.display import display, HTML\ndisplay(HTML("<b>hub</b>"))');
    assert.equal(await display.done, 'ok');
    assert.equal(display.outputs.outputs[0]?.type === 'display_data' ? display.outputs.outputs[0].data['text/html'] : '', '<b>hub</b>');
    const failing = execute(connection, 'raise KeyError("missing")');
    assert.equal(await failing.done, 'error');
    assert.ok(failing.outputs.outputs.some((o) => o.type === 'error' && o.ename === 'KeyError'));
    const listed = await readServer(lib, endpoint);
    assert.ok(listed.kernels.some((k) => k.id === binding.kernelId));
  });

  it('reconnects after the websocket drops, through the hub proxy, and loses no output', async () => {
    const proxy = await viaProxy();
    const endpoint = { baseUrl: `http://127.0.0.1:${proxy.port}/user/${hub.user}/`, token: hub.userToken.token };
    const { connection } = await open(endpoint);
    // The drop comes while the cell is quiet: what the server had already written into the
    // proxies when the connection broke is gone (Jupyter's protocol has no acknowledgements);
    // what the cell prints afterwards is buffered for our session and arrives on the new one.
    const resume = join(mkdtempSync(join(tmpdir(), 'mle-hub-')), 'resume');
    const code = `import os, time\nfor i in range(10):\n    print(i, flush=True)\nwhile not os.path.exists(${JSON.stringify(resume)}):\n    time.sleep(0.05)\n${LOOP(30, 0.02).replace('range(30)', 'range(10, 30)')}`;
    const run = execute(connection, code, { whyDisconnected: whyDisconnected(lib, endpoint, connection.id) });
    await waitFor(() => stdout(run.outputs.outputs).includes('9\n'), 30_000, 'the first lines');
    const dropped = proxy.dropAll();
    assert.ok(dropped > 0, 'a connection was open to drop');
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(resume, '');
    assert.equal(await run.done, 'ok');
    assert.equal(stdout(run.outputs.outputs), Array.from({ length: 30 }, (_, i) => `${i}\n`).join(''));
    assert.ok(proxy.connections() > dropped, 'the client opened a new connection');
  });

  it('reconnects to the same kernel after a reload and follows the cell still running', async () => {
    const endpoint = { baseUrl: hub.userServerUrl, token: hub.userToken.token };
    const first = await open(endpoint);
    const run = execute(first.connection, LOOP(40, 0.05));
    await waitFor(() => stdout(run.outputs.outputs).includes('3\n'), 30_000, 'the first lines');
    first.connection.dispose(); // the window reloads mid-cell
    await new Promise((r) => setTimeout(r, 400));
    const second = await openKernel(lib, endpoint, { serverId: 'hub', spec: 'python3', previous: first.binding });
    connections.push(second.connection);
    assert.equal(second.reconnected, true);
    assert.deepEqual(second.binding, first.binding);
    const followed = execute(second.connection, '', { attachTo: run.msgId });
    assert.equal(await followed.done, 'ok');
    const lines = stdout(followed.outputs.outputs).trim().split('\n').map(Number);
    assert.equal(lines.at(-1), 39);
    assert.ok(lines.length >= 30, `followed ${lines.length} lines, including those printed while away`);
  });

  it('a revoked token ends the running cell with a clear error, and a new kernel is refused in words', async () => {
    const token = await hub.newToken('to be revoked');
    const proxy = await viaProxy();
    const endpoint = { baseUrl: `http://127.0.0.1:${proxy.port}/user/${hub.user}/`, token: token.token };
    const { connection, binding } = await open(endpoint);
    const run: Execution = execute(connection, LOOP(600, 0.1), { whyDisconnected: whyDisconnected(lib, endpoint, connection.id) });
    await waitFor(() => stdout(run.outputs.outputs).includes('2\n'), 30_000, 'the first lines');
    await hub.revoke(token.id);
    await new Promise((r) => setTimeout(r, 1_500)); // the user server's token cache (1 s in this hub)
    proxy.dropAll();
    const started = Date.now();
    assert.equal(await run.done, 'lost');
    assert.ok(Date.now() - started < 20_000, `ended after ${Date.now() - started} ms`);
    assert.match(run.problem ?? '', /refused the token \(HTTP 403\): it was revoked or has expired\. Make a new one on http:\/\/127\.0\.0\.1:\d+\/hub\/token/);
    assert.doesNotMatch(run.problem ?? '', /out of memory|died/);

    // The next run (a new connection to the same kernel, or a new kernel) says the same.
    await assert.rejects(openKernel(lib, endpoint, { serverId: 'hub', spec: 'python3', previous: binding }), (error: unknown) => {
      assert.ok(isUserError(error));
      assert.match(error.message, /^Could not start a python3 kernel: The JupyterHub at .* refused the token \(HTTP 403\): it was revoked/);
      assert.doesNotMatch(error.message, /_xsrf/);
      return true;
    });
    await assert.rejects(readServer(lib, endpoint), /refused the token \(HTTP 403\): it was revoked/);
    const probe = await probeServer(endpoint);
    assert.equal(probe.ok, false);
  });

  it('a stopped user server ends the running cell saying so (no endless reconnecting), and connecting says how to start it', async function () {
    this.timeout(180_000);
    const endpoint = { baseUrl: hub.userServerUrl, token: hub.userToken.token };
    const { connection } = await open(endpoint);
    const run = execute(connection, LOOP(600, 0.1), { whyDisconnected: whyDisconnected(lib, endpoint, connection.id) });
    await waitFor(() => stdout(run.outputs.outputs).includes('2\n'), 30_000, 'the first lines');
    await hub.stopServer(); // as a hub's idle culler does
    const started = Date.now();
    assert.equal(await run.done, 'lost');
    assert.ok(Date.now() - started < 30_000, `ended after ${Date.now() - started} ms`);
    assert.match(run.problem ?? '', new RegExp(`${hub.user}'s server on the JupyterHub at .* is not running .*Start it on ${hub.url}hub/home`));
    for (const page of [hub.userServerUrl, `${hub.url}hub/home`]) {
      await assert.rejects(connectServer(page, hub.userToken.token), /is not running.*Start it on .*hub\/home, then connect again/);
    }
  });
});
