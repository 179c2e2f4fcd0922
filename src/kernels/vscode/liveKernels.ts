import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { whyDisconnected } from '../connectionCheck';
import type { ConnectionProblem } from '../execution';
import type { KernelConnection } from '../jupyterLib';
import type { KernelBinding, KernelBindings } from '../kernelBindings';
import { inspectKernel, type KernelInspection } from '../kernelInspection';
import { kernelFolder, openKernel } from '../openKernel';
import type { KernelSpecInfo } from '../serverConnect';
import type { JupyterServerEntry, JupyterServers } from './jupyterServers';

export interface LiveKernel {
  readonly notebook: vscode.NotebookDocument;
  readonly server: JupyterServerEntry;
  readonly spec: KernelSpecInfo;
  readonly binding: KernelBinding;
  readonly connection: KernelConnection;
  inspection: KernelInspection | undefined;
  /** Why its connection cannot come back (for runs that wait on it). */
  readonly whyDisconnected: () => Promise<ConnectionProblem | undefined>;
}

/**
 * The kernels this window is connected to, one per notebook: started or reconnected (after a
 * reload, through the notebook's binding) on first use, released when the notebook closes.
 * Releasing closes our connection only; the kernel lives on until the server culls it.
 */
export class LiveKernels implements vscode.Disposable {
  private readonly live = new Map<string, LiveKernel>();
  private readonly connecting = new Map<string, Promise<LiveKernel>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** The notebook the agent's tools use when no notebook editor is active. */
  lastNotebook: vscode.NotebookDocument | undefined;

  constructor(
    private readonly log: Logger,
    private readonly servers: JupyterServers,
    private readonly bindings: KernelBindings,
  ) {}

  list(): LiveKernel[] {
    return [...this.live.values()];
  }

  forNotebook(notebook: vscode.NotebookDocument): LiveKernel | undefined {
    return this.live.get(notebook.uri.toString());
  }

  forKernelId(kernelId: string): LiveKernel | undefined {
    return this.list().find((k) => k.binding.kernelId === kernelId);
  }

  /**
   * busy / idle / starting / dead... A connection that just attached to a busy kernel has no
   * status until the kernel's current cell ends: the server's view fills the gap.
   */
  stateOf(live: LiveKernel): string {
    if (live.connection.connectionStatus !== 'connected') return live.connection.connectionStatus;
    if (live.connection.status !== 'unknown') return live.connection.status;
    return live.server.kernels.find((k) => k.id === live.binding.kernelId)?.execution_state ?? 'unknown';
  }

  /** The kernel of a notebook: the one it had (after a reload too), else a new one. */
  kernelFor(notebook: vscode.NotebookDocument, serverId: string, spec: KernelSpecInfo): Promise<LiveKernel> {
    const key = notebook.uri.toString();
    const current = this.live.get(key);
    if (current && current.binding.serverId === serverId && current.spec.name === spec.name && !current.connection.isDisposed) return Promise.resolve(current);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const promise = this.connect(notebook, serverId, spec).finally(() => this.connecting.delete(key));
    this.connecting.set(key, promise);
    return promise;
  }

  private async connect(notebook: vscode.NotebookDocument, serverId: string, spec: KernelSpecInfo): Promise<LiveKernel> {
    const key = notebook.uri.toString();
    this.release(notebook);
    const server = serverId === 'local' ? await this.servers.ensureLocal() : this.servers.get(serverId);
    if (!server?.endpoint || server.state === 'unreachable') {
      throw new Error(`${server?.label ?? serverId} is not reachable${server?.problem ? `: ${server.problem}` : ''}.`);
    }
    const lib = this.servers.lib();
    const previous = this.bindings.binding(key);
    // A local kernel starts in the notebook's folder; a remote server's folders are its own.
    const path = server.kind === 'local' && notebook.uri.scheme === 'file' ? kernelFolder(dirname(notebook.uri.fsPath)) : undefined;
    const { binding, connection, reconnected } = await openKernel(lib, server.endpoint, {
      serverId,
      spec: spec.name,
      ...(previous ? { previous } : {}),
      ...(path !== undefined ? { path } : {}),
    });
    this.log.info(
      reconnected
        ? `Jupyter: reconnected ${basename(notebook.uri.path)} to its kernel ${binding.kernelId} on ${server.label}`
        : `Jupyter: started kernel ${spec.name} (${binding.kernelId}) on ${server.label} for ${basename(notebook.uri.path)}`,
    );
    await this.bindings.bind(key, binding);
    const live: LiveKernel = { notebook, server, spec, binding, connection, inspection: undefined, whyDisconnected: whyDisconnected(lib, server.endpoint, binding.kernelId) };
    connection.statusChanged.connect((_, status) => {
      // Its pid (for the GPU view) and variables, as soon as the kernel first answers.
      if (status === 'idle' && !live.inspection) this.inspectSoon(live);
      this.changed.fire();
    });
    connection.connectionStatusChanged.connect((_, status) => {
      if (status === 'disconnected' && !connection.isDisposed) this.log.warn(`Jupyter: lost the connection to kernel ${binding.kernelId}`);
      this.changed.fire();
    });
    this.live.set(key, live);
    this.lastNotebook = notebook;
    this.changed.fire();
    return live;
  }

  /** Closes our connection; the kernel lives on (the server culls it once idle and unconnected). */
  release(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    const live = this.live.get(key);
    if (!live) return;
    this.live.delete(key);
    if (!live.connection.isDisposed) live.connection.dispose();
    if (this.lastNotebook === notebook) this.lastNotebook = undefined;
    this.changed.fire();
  }

  /** Re-reads a kernel's pid, host and variables shortly, once it is idle. */
  inspectSoon(live: LiveKernel): void {
    setTimeout(() => {
      if (live.connection.isDisposed || live.connection.status !== 'idle') return;
      inspectKernel(live.connection, 5_000).then(
        (inspection) => {
          live.inspection = inspection;
          this.changed.fire();
        },
        (error: unknown) => this.log.debug(`Jupyter: variables not read: ${String(error)}`),
      );
    }, 200);
  }

  /** After a restart: the old variables are gone. */
  forgetInspection(live: LiveKernel): void {
    live.inspection = undefined;
    this.changed.fire();
  }

  /** For listeners outside (the active editor changed). */
  fireChanged(): void {
    this.changed.fire();
  }

  dispose(): void {
    // Connections close; kernels and the local server live on, so a reload finds training still running.
    for (const live of this.live.values()) if (!live.connection.isDisposed) live.connection.dispose();
    this.live.clear();
    this.changed.dispose();
  }
}
