import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');
const PROXY = join(REPO, 'node_modules', '.bin', 'configurable-http-proxy');

/** A real JupyterHub (Debian's `jupyterhub`, the npm `configurable-http-proxy`) with one user whose server runs. */
export interface JupyterHubFixture {
  /** The hub's public URL, e.g. `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly user: string;
  /** The user's server: `${url}user/NAME/`. */
  readonly userServerUrl: string;
  /** An API token of the user, made through the hub's REST API (as the hub's Token page does). */
  readonly userToken: { readonly id: string; readonly token: string };
  /** How long the hub took to answer, and the user's server to spawn. */
  readonly timings: { readonly hubMs: number; readonly spawnMs: number };
  /** The hub's REST API with the admin service's token. */
  api(method: string, path: string, body?: unknown): Promise<Response>;
  newToken(note: string): Promise<{ id: string; token: string }>;
  revoke(tokenId: string): Promise<void>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  log(): string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The hub's `jupyterhub` executable: JUPYTERHUB, else Debian's, else PATH. */
function hubCommand(): string {
  const candidates = [process.env.JUPYTERHUB, '/usr/bin/jupyterhub'].filter((c): c is string => !!c);
  return candidates.find((c) => existsSync(c)) ?? 'jupyterhub';
}

/**
 * Starts JupyterHub on free ports in a temporary folder (recipe: shared/docs/testing-here.md
 * "A real JupyterHub"): dummy authenticator, single-user servers as this user, an admin service
 * token for the REST API. Then creates the user, spawns the server and makes a user token.
 */
export async function startJupyterHub(user = 'alice'): Promise<JupyterHubFixture> {
  if (!existsSync(PROXY)) throw new Error(`${PROXY} is missing: run npm ci`);
  const dir = mkdtempSync(join(tmpdir(), 'mle-hub-'));
  const [port, hubPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const serviceToken = randomBytes(24).toString('hex');
  const config = [
    `c.JupyterHub.ip = '127.0.0.1'`,
    `c.JupyterHub.port = ${port}`,
    `c.JupyterHub.hub_ip = '127.0.0.1'`,
    `c.JupyterHub.hub_port = ${hubPort}`,
    `c.JupyterHub.authenticator_class = 'dummy'`,
    `c.JupyterHub.spawner_class = 'simple'`,
    `c.SimpleLocalProcessSpawner.home_dir_template = ${JSON.stringify(join(dir, 'home', '{username}'))}`,
    // The user's server asks the hub about a token at most once a second (default: every 5 minutes),
    // so a revoked token is refused at once, as it is everywhere after that cache expires.
    `c.Spawner.args = ['--HubOAuth.cache_max_age=1'${process.getuid?.() === 0 ? ", '--allow-root'" : ''}]`,
    `c.JupyterHub.services = [{'name': 'test', 'api_token': '${serviceToken}', 'admin': True}]`,
    `c.JupyterHub.db_url = 'sqlite:///${join(dir, 'jupyterhub.sqlite')}'`,
    `c.JupyterHub.cookie_secret_file = ${JSON.stringify(join(dir, 'cookie_secret'))}`,
    `c.JupyterHub.pid_file = ${JSON.stringify(join(dir, 'jupyterhub.pid'))}`,
    `c.ConfigurableHTTPProxy.command = [${JSON.stringify(PROXY)}]`,
    `c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${apiPort}'`,
    `c.ConfigurableHTTPProxy.pid_file = ${JSON.stringify(join(dir, 'proxy.pid'))}`,
  ].join('\n');
  writeFileSync(join(dir, 'jupyterhub_config.py'), config);
  const logFile = join(dir, 'hub.log');
  const fd = openSync(logFile, 'a', 0o600);
  const started = Date.now();
  // Its own process group: what the hub started (proxy, single-user servers) can be cleaned up with it.
  const hub: ChildProcess = spawn(hubCommand(), ['-f', join(dir, 'jupyterhub_config.py')], { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: string | undefined;
  hub.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  hub.once('error', (error) => (exited = error.message));
  const url = `http://127.0.0.1:${port}/`;
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const api = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(new URL(`hub/api/${path}`, url), {
      method,
      headers: { Authorization: `token ${serviceToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  const expectOk = async (response: Response, what: string): Promise<Response> => {
    if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}\n${log().slice(-3000)}`);
    return response;
  };
  const close = async (): Promise<void> => {
    if (hub.exitCode === null && hub.signalCode === null) {
      const gone = new Promise<void>((r) => hub.once('exit', () => r()));
      hub.kill('SIGTERM'); // the hub stops the single-user servers and the proxy it started
      await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
    }
    if (hub.pid !== undefined) {
      try {
        process.kill(-hub.pid, 'SIGKILL'); // anything of the hub's group still there
      } catch {
        // the group is gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`JupyterHub ${exited} before it was ready:\n${log().slice(-3000)}`);
      const ready = await fetch(new URL('hub/api/', url), { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`JupyterHub did not answer within 60 s:\n${log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const hubMs = Date.now() - started;
    await expectOk(await api('POST', `users/${user}`), 'create the user');
    const spawnStarted = Date.now();
    const startServer = async (): Promise<void> => {
      const response = await api('POST', `users/${user}/server`);
      if (response.status !== 201 && response.status !== 202 && response.status !== 400) await expectOk(response, 'spawn the server');
      // 202: still starting. Wait until the hub says it is ready.
      const until = Date.now() + 60_000;
      for (;;) {
        const model = (await (await expectOk(await api('GET', `users/${user}`), 'read the user')).json()) as { servers?: Record<string, { ready?: boolean }> };
        if (model.servers?.['']?.ready) return;
        if (Date.now() > until) throw new Error(`the user's server did not start within 60 s:\n${log().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await startServer();
    const spawnMs = Date.now() - spawnStarted;
    const newToken = async (note: string): Promise<{ id: string; token: string }> => {
      const body = (await (await expectOk(await api('POST', `users/${user}/tokens`, { note }), 'make a token')).json()) as { id: string; token: string };
      return { id: body.id, token: body.token };
    };
    const userToken = await newToken('ml-engineer integration test');
    mkdirSync(join(dir, 'home', user), { recursive: true });
    return {
      url,
      user,
      userServerUrl: `${url}user/${user}/`,
      userToken,
      timings: { hubMs, spawnMs },
      api,
      newToken,
      async revoke(tokenId) {
        const response = await api('DELETE', `users/${user}/tokens/${tokenId}`);
        if (response.status !== 204) await expectOk(response, 'revoke the token');
      },
      async stopServer() {
        const response = await api('DELETE', `users/${user}/server`);
        if (response.status !== 204 && response.status !== 202) await expectOk(response, 'stop the server');
        const until = Date.now() + 30_000;
        for (;;) {
          const model = (await (await api('GET', `users/${user}`)).json()) as { servers?: Record<string, unknown> };
          if (!model.servers?.['']) return;
          if (Date.now() > until) throw new Error('the user server did not stop within 30 s');
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      startServer,
      log,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
