import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/logger';
import type { JupyterLib, KernelConnection } from '../kernels/jupyterLib';
import type { KernelTarget, KernelTargets } from '../kernels/kernelTools';
import { findJupyterPython, launchLocalServer, shutdownServer, type LocalServerRecord } from '../kernels/localServer';
import { kernelFolder, openKernel } from '../kernels/openKernel';
import { shippedBundle } from './shippedBundle';

/** The server stops itself after this long without a client or a busy kernel, should we die without stopping it. */
const IDLE_SHUTDOWN_S = 15 * 60;
const READY_TIMEOUT_MS = 60_000;

/**
 * The kernel the agent's kernel tools use outside the editor: one Python kernel in the folder,
 * on a Jupyter server of our own started on first use (no notebook is open to say which kernel
 * is meant). It lives as long as this process; dispose() stops the server and its kernel.
 */
export class FolderKernel implements KernelTargets {
  private opened: Promise<{ target: KernelTarget; server: LocalServerRecord; stateDir: string }> | undefined;

  constructor(
    private readonly folder: string,
    private readonly options: { readonly pythonCandidates: readonly string[]; readonly log: Logger; readonly env?: NodeJS.ProcessEnv },
  ) {}

  active(): Promise<KernelTarget> {
    this.opened ??= this.open().catch((error: unknown) => {
      this.opened = undefined; // the next call tries again (a Python installed meanwhile)
      throw error;
    });
    return this.opened.then((o) => o.target);
  }

  /** Whether a kernel was started (the tests and the bench read it). */
  get started(): boolean {
    return this.opened !== undefined;
  }

  async dispose(): Promise<void> {
    const opened = await this.opened?.catch(() => undefined);
    this.opened = undefined;
    if (!opened) return;
    opened.target.connection.dispose();
    if (!(await shutdownServer(opened.server))) {
      try {
        process.kill(opened.server.pid);
      } catch {
        // already gone
      }
    }
    rmSync(opened.stateDir, { recursive: true, force: true });
  }

  private async open(): Promise<{ target: KernelTarget; server: LocalServerRecord; stateDir: string }> {
    const python = await findJupyterPython(this.options.pythonCandidates);
    const lib = shippedBundle<JupyterLib>('jupyter', 'kernels/lazy/jupyterServices.ts');
    const stateDir = mkdtempSync(join(tmpdir(), 'ml-engineer-kernel-'));
    const server = await launchLocalServer({ python, stateDir, idleShutdownSeconds: IDLE_SHUTDOWN_S, ...(this.options.env ? { env: this.options.env } : {}) });
    this.options.log.info(`kernels: a Jupyter server of ${python} at ${server.baseUrl} (pid ${server.pid})`);
    const path = kernelFolder(this.folder);
    const { connection } = await openKernel(lib, server, { serverId: 'local', spec: 'python3', ...(path !== undefined ? { path } : {}) });
    await ready(connection);
    const target: KernelTarget = {
      label: `python3 kernel in ${this.folder}`,
      connection,
      interrupt: () => connection.interrupt(),
      restart: () => connection.restart(),
    };
    return { target, server, stateDir };
  }
}

function ready(connection: KernelConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => connection.connectionStatus === 'connected' && (connection.status === 'idle' || connection.status === 'busy');
    if (check()) return resolve();
    const timer = setTimeout(() => {
      connection.connectionStatusChanged.disconnect(onChange);
      connection.statusChanged.disconnect(onChange);
      reject(new Error(`the kernel did not connect within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    const onChange = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      connection.connectionStatusChanged.disconnect(onChange);
      connection.statusChanged.disconnect(onChange);
      resolve();
    };
    connection.connectionStatusChanged.connect(onChange);
    connection.statusChanged.connect(onChange);
  });
}
