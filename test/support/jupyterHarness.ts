import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverSettings, type JupyterEndpoint } from '../../src/kernels/jupyterEndpoint';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { launchLocalServer, shutdownServer, type LocalServerRecord } from '../../src/kernels/localServer';
import * as lib from '../../src/kernels/lazy/jupyterServices';
import { runProcess } from '../../src/common/process';

export { lib };

/**
 * The Python with jupyter_server and ipykernel: ML_ENGINEER_TEST_PYTHON, else Debian's
 * /usr/bin/python3 (CI installs python3-jupyter-server and python3-ipykernel), else python3.
 */
export async function jupyterPython(): Promise<string> {
  const candidates = [process.env.ML_ENGINEER_TEST_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const result = await runProcess(python, ['-c', 'import jupyter_server, ipykernel'], { timeoutMs: 30_000 });
    if (result.kind === 'exited' && result.code === 0) return python;
  }
  throw new Error(`No Python with jupyter_server and ipykernel among ${candidates.join(', ')}: run scripts/ensure-prerequisites.sh`);
}

export interface JupyterFixture {
  readonly server: LocalServerRecord;
  readonly python: string;
  readonly stateDir: string;
  start(options?: { endpoint?: JupyterEndpoint; clientId?: string }): Promise<KernelConnection>;
  connect(kernelId: string, options?: { endpoint?: JupyterEndpoint; clientId?: string }): KernelConnection;
  close(): Promise<void>;
}

/** A real Jupyter server started through our own launcher, and kernels on it. */
export async function startJupyter(): Promise<JupyterFixture> {
  const python = await jupyterPython();
  const stateDir = mkdtempSync(join(tmpdir(), 'mle-jupyter-'));
  const server = await launchLocalServer({ python, stateDir, idleShutdownSeconds: 0 });
  const connections: KernelConnection[] = [];
  const ids = new Set<string>();
  const connect = (kernelId: string, options: { endpoint?: JupyterEndpoint; clientId?: string } = {}): KernelConnection => {
    const settings = serverSettings(lib, options.endpoint ?? server);
    const connection = new lib.KernelConnection({ model: { id: kernelId, name: 'python3' }, serverSettings: settings, ...(options.clientId ? { clientId: options.clientId } : {}) });
    connections.push(connection);
    return connection;
  };
  return {
    server,
    python,
    stateDir,
    async start(options = {}) {
      const model = await lib.KernelAPI.startNew({ name: 'python3' }, serverSettings(lib, server));
      ids.add(model.id);
      const connection = connect(model.id, options);
      await waitFor(() => connection.connectionStatus === 'connected' && connection.status === 'idle', 30_000, 'kernel to be idle');
      return connection;
    },
    connect,
    async close() {
      for (const c of connections) if (!c.isDisposed) c.dispose();
      await shutdownServer(server);
      try {
        process.kill(server.pid);
      } catch {
        // already gone
      }
    },
  };
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
