import { randomUUID } from 'node:crypto';
import { dirname, relative, isAbsolute, parse, basename } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { execute, type Execution } from '../execution';
import { serverSettings } from '../jupyterEndpoint';
import type { KernelConnection } from '../jupyterLib';
import { inspectKernel, type KernelInspection } from '../kernelInspection';
import type { KernelTarget, KernelTargets } from '../kernelTools';
import type { JupyterServerEntry, JupyterServers, KernelSpecInfo } from './jupyterServers';
import { toNotebookOutputs } from './notebookOutputs';
import { COMMANDS, NOTEBOOK_CONTROLLER_PREFIX, STORAGE_KEYS } from '../../commandIds';

const NOTEBOOK_TYPE = 'jupyter-notebook';
const BINDINGS_KEY = STORAGE_KEYS.kernelBindings;
const RUNNING_KEY = STORAGE_KEYS.runningCell;

/** Which kernel a notebook uses, kept in workspace state so a reload reconnects to the same kernel. */
interface Binding {
  readonly serverId: string;
  readonly spec: string;
  readonly kernelId: string;
  /** Our client id on that kernel: the server replays to it what arrived while we were away. */
  readonly clientId: string;
}

/** A cell whose execution outlives this window: reattached after a reload. */
interface RunningCell {
  readonly cellIndex: number;
  readonly msgId: string;
  readonly kernelId: string;
  readonly startedAt: number;
}

export interface LiveKernel {
  readonly notebook: vscode.NotebookDocument;
  readonly server: JupyterServerEntry;
  readonly spec: KernelSpecInfo;
  readonly binding: Binding;
  readonly connection: KernelConnection;
  inspection: KernelInspection | undefined;
}

/**
 * One NotebookController per kernel spec of each server ("ML Engineer: <server> / <kernel>" in
 * the kernel picker), the kernel behind each notebook, and cell execution with live outputs.
 */
export class NotebookKernels implements vscode.Disposable, KernelTargets {
  private readonly controllers = new Map<string, { controller: vscode.NotebookController; serverId: string; spec: KernelSpecInfo }>();
  private readonly live = new Map<string, LiveKernel>();
  private readonly connecting = new Map<string, Promise<LiveKernel>>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private lastNotebook: vscode.NotebookDocument | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
    private readonly servers: JupyterServers,
  ) {
    this.disposables.push(
      servers.onDidChange(() => this.syncControllers()),
      vscode.window.onDidChangeActiveNotebookEditor((editor) => {
        if (editor && this.live.has(editor.notebook.uri.toString())) this.lastNotebook = editor.notebook;
        this.changed.fire();
      }),
      vscode.workspace.onDidCloseNotebookDocument((notebook) => this.release(notebook)),
    );
  }

  /** Kernels this window is connected to, for the Kernels tree and status bar. */
  liveKernels(): LiveKernel[] {
    return [...this.live.values()];
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

  forKernelId(kernelId: string): LiveKernel | undefined {
    return this.liveKernels().find((k) => k.binding.kernelId === kernelId);
  }

  forNotebook(notebook: vscode.NotebookDocument): LiveKernel | undefined {
    return this.live.get(notebook.uri.toString());
  }

  /** Controllers follow the servers' kernel specs: new specs appear in the picker, gone ones leave it. */
  private syncControllers(): void {
    const wanted = new Set<string>();
    for (const server of this.servers.list()) {
      for (const spec of server.specs) {
        const id = controllerId(server.id, spec.name);
        wanted.add(id);
        if (!this.controllers.has(id)) this.createController(id, server, spec);
      }
    }
    // A server that stops answering keeps its controllers (its kernels may come back); a disconnected one loses them.
    for (const [id, entry] of this.controllers) {
      if (!wanted.has(id) && !this.servers.get(entry.serverId)) {
        entry.controller.dispose();
        this.controllers.delete(id);
      }
    }
  }

  private createController(id: string, server: JupyterServerEntry, spec: KernelSpecInfo): void {
    const controller = vscode.notebooks.createNotebookController(id, NOTEBOOK_TYPE, spec.displayName);
    controller.description = `ML Engineer: ${server.label}`;
    controller.detail = server.baseUrl ?? server.endpoint?.baseUrl ?? '';
    controller.supportedLanguages = [spec.language.toLowerCase() === 'python' ? 'python' : spec.language.toLowerCase()];
    controller.supportsExecutionOrder = true;
    controller.executeHandler = (cells, notebook) => this.enqueue(notebook, () => this.runCells(cells, notebook, controller, server.id, spec));
    controller.interruptHandler = async (notebook) => {
      const live = this.live.get(notebook.uri.toString());
      if (live) await live.connection.interrupt();
    };
    controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
      if (selected) void this.onSelected(notebook, controller, server.id, spec);
      else if (this.live.get(notebook.uri.toString())?.binding.serverId === server.id) this.release(notebook);
    });
    this.controllers.set(id, { controller, serverId: server.id, spec });
    // Prefer the spec a notebook was saved with, on the local server, in the picker.
    for (const notebook of vscode.workspace.notebookDocuments) this.setAffinity(notebook, controller, server, spec);
    this.log.info(`Jupyter: kernel "${spec.displayName}" of ${server.label} is offered to notebooks`);
  }

  private setAffinity(notebook: vscode.NotebookDocument, controller: vscode.NotebookController, server: JupyterServerEntry, spec: KernelSpecInfo): void {
    if (notebook.notebookType !== NOTEBOOK_TYPE) return;
    const saved = (notebook.metadata.metadata as { kernelspec?: { name?: string } } | undefined)?.kernelspec?.name;
    const bound = this.bindings()[notebook.uri.toString()];
    if ((bound && bound.serverId === server.id && bound.spec === spec.name) || (server.kind === 'local' && saved === spec.name)) {
      controller.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
    }
  }

  private enqueue(notebook: vscode.NotebookDocument, work: () => Promise<void>): Promise<void> {
    const key = notebook.uri.toString();
    const next = (this.queues.get(key) ?? Promise.resolve()).then(work, work);
    this.queues.set(key, next.catch(() => undefined));
    return next;
  }

  /** The kernel of a notebook: the one it had (after a reload too), else a new one. */
  async kernelFor(notebook: vscode.NotebookDocument, serverId: string, spec: KernelSpecInfo): Promise<LiveKernel> {
    const key = notebook.uri.toString();
    const current = this.live.get(key);
    if (current && current.binding.serverId === serverId && current.spec.name === spec.name && !current.connection.isDisposed) return current;
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
    const settings = serverSettings(lib, server.endpoint);
    const previous = this.bindings()[key];
    let binding: Binding | undefined;
    if (previous && previous.serverId === serverId && previous.spec === spec.name) {
      const model = await lib.KernelAPI.getKernelModel(previous.kernelId, settings).catch(() => undefined);
      if (model) binding = previous;
    }
    if (!binding) {
      // A local kernel starts in the notebook's folder; a remote server's folders are its own.
      const path = server.kind === 'local' && notebook.uri.scheme === 'file' ? relativeToRoot(dirname(notebook.uri.fsPath)) : undefined;
      const model = await lib.KernelAPI.startNew({ name: spec.name, ...(path !== undefined ? { path } : {}) }, settings);
      binding = { serverId, spec: spec.name, kernelId: model.id, clientId: randomUUID() };
      this.log.info(`Jupyter: started kernel ${spec.name} (${model.id}) on ${server.label} for ${basename(notebook.uri.path)}`);
    } else {
      this.log.info(`Jupyter: reconnected ${basename(notebook.uri.path)} to its kernel ${binding.kernelId} on ${server.label}`);
    }
    await this.saveBinding(key, binding);
    const connection = new lib.KernelConnection({ model: { id: binding.kernelId, name: spec.name }, serverSettings: settings, clientId: binding.clientId });
    const live: LiveKernel = { notebook, server, spec, binding, connection, inspection: undefined };
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
  private release(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    const live = this.live.get(key);
    if (!live) return;
    this.live.delete(key);
    if (!live.connection.isDisposed) live.connection.dispose();
    if (this.lastNotebook === notebook) this.lastNotebook = undefined;
    this.changed.fire();
  }

  private async onSelected(notebook: vscode.NotebookDocument, controller: vscode.NotebookController, serverId: string, spec: KernelSpecInfo): Promise<void> {
    this.lastNotebook = notebook;
    const running = this.runningCells()[notebook.uri.toString()];
    const bound = this.bindings()[notebook.uri.toString()];
    if (!running || !bound || bound.serverId !== serverId || bound.spec !== spec.name || bound.kernelId !== running.kernelId) return;
    try {
      const live = await this.kernelFor(notebook, serverId, spec);
      await this.reattach(live, controller, running);
    } catch (error) {
      this.log.warn(`Jupyter: could not reattach to the running cell of ${basename(notebook.uri.path)}: ${String(error)}`);
    }
  }

  /** After a reload: show the cell that still runs as running, with the outputs that arrive from now on. */
  private async reattach(live: LiveKernel, controller: vscode.NotebookController, running: RunningCell): Promise<void> {
    const cell = live.notebook.cellAt(running.cellIndex);
    if (!cell) return;
    this.log.info(`Jupyter: cell ${running.cellIndex + 1} of ${basename(live.notebook.uri.path)} is still running; following it`);
    await this.enqueue(live.notebook, async () => {
      const execution = execute(live.connection, '', { attachTo: running.msgId });
      const cellExecution = controller.createNotebookCellExecution(cell);
      cellExecution.start(running.startedAt);
      const before = [...cell.outputs];
      // The kernel may have finished while the window was away: then no idle status will come.
      const idleCheck = setInterval(() => {
        if (execution.status === 'running' && live.connection.status === 'idle' && Date.now() - execution.startedAt > 3_000) execution.markEnded('ok');
      }, 1_000);
      try {
        await this.followExecution(execution, cellExecution, before, live, cell);
      } finally {
        clearInterval(idleCheck);
      }
    });
  }

  private async runCells(cells: readonly vscode.NotebookCell[], notebook: vscode.NotebookDocument, controller: vscode.NotebookController, serverId: string, spec: KernelSpecInfo): Promise<void> {
    // Every cell shows as queued at once; after a failure the rest end unrun, as in Jupyter.
    const executions = cells.map((cell) => ({ cell, run: controller.createNotebookCellExecution(cell) }));
    let live: LiveKernel;
    try {
      live = await this.kernelFor(notebook, serverId, spec);
    } catch (error) {
      const first = executions[0];
      if (first) {
        first.run.start(Date.now());
        await first.run.replaceOutput(errorOutput('Kernel not started', error instanceof Error ? error.message : String(error)));
        first.run.end(false, Date.now());
      }
      for (const rest of executions.slice(1)) rest.run.end(undefined);
      throw error;
    }
    let failed = false;
    for (const { cell, run } of executions) {
      if (failed || run.token.isCancellationRequested) {
        run.end(undefined);
        continue;
      }
      failed = !(await this.runCell(live, cell, run));
    }
    this.inspectSoon(live);
  }

  private async runCell(live: LiveKernel, cell: vscode.NotebookCell, run: vscode.NotebookCellExecution): Promise<boolean> {
    run.start(Date.now());
    await run.clearOutput();
    const code = cell.document.getText();
    if (code.trim() === '') {
      run.end(true, Date.now());
      return true;
    }
    const execution = execute(live.connection, code, {
      onInput: (prompt, password) =>
        Promise.resolve(vscode.window.showInputBox({ prompt: prompt || 'Input requested by the kernel', password, ignoreFocusOut: true })),
    });
    await this.saveRunning(live.notebook, { cellIndex: cell.index, msgId: execution.msgId, kernelId: live.binding.kernelId, startedAt: execution.startedAt });
    const ok = await this.followExecution(execution, run, [], live, cell);
    return ok;
  }

  /** Renders outputs as they arrive (at most every 50 ms), then ends the cell with its outcome. */
  private async followExecution(
    execution: Execution,
    run: vscode.NotebookCellExecution,
    before: readonly vscode.NotebookCellOutput[],
    live: LiveKernel,
    cell: vscode.NotebookCell,
  ): Promise<boolean> {
    let rendered = -1;
    let rendering: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const render = async (): Promise<void> => {
      while (rendered !== execution.outputs.version) {
        rendered = execution.outputs.version;
        await run.replaceOutput([...before, ...toNotebookOutputs(execution.outputs.outputs)]);
      }
    };
    const schedule = (): void => {
      timer ??= setTimeout(() => {
        timer = undefined;
        rendering = (rendering ?? Promise.resolve()).then(render, render);
      }, 50);
    };
    const subscription = execution.onChange(schedule);
    const status = await execution.done;
    subscription.dispose();
    clearTimeout(timer);
    await rendering;
    await render();
    if (execution.outputs.executionCount !== null) run.executionOrder = execution.outputs.executionCount;
    if (status === 'died' || status === 'lost') {
      await run.appendOutput(errorOutput(status === 'died' ? 'Kernel died' : 'Connection lost', execution.problem ?? ''));
      if (status === 'died') void this.offerRestart(live);
    }
    run.end(status === 'ok', execution.endedAt ?? Date.now());
    await this.clearRunning(live.notebook);
    this.notifyIfAway(execution, cell);
    return status === 'ok';
  }

  private async offerRestart(live: LiveKernel): Promise<void> {
    // The server restarts a dead kernel itself; when it could not, the connection is dead too.
    const restarted = !live.connection.isDisposed && live.connection.status !== 'dead';
    const choice = await vscode.window.showErrorMessage(
      `The kernel of ${basename(live.notebook.uri.path)} died while a cell ran (killed, or out of memory).` +
        (restarted ? ' The server restarted it with an empty namespace.' : ' Restart it to run cells again.'),
      'Restart Kernel',
      'Show Log',
    );
    if (choice === 'Show Log') await vscode.commands.executeCommand(COMMANDS.showLog);
    if (choice === 'Restart Kernel') {
      if (restarted) await live.connection.restart();
      else this.release(live.notebook); // the next run connects afresh (a new kernel when the old one is gone)
    }
  }

  /** A long cell that ends while the window is in the background says so. */
  private notifyIfAway(execution: Execution, cell: vscode.NotebookCell): void {
    const threshold = vscode.workspace.getConfiguration('mlEngineer').get<number>('jupyter.notifyAfterSeconds', 60);
    if (threshold <= 0 || execution.durationMs < threshold * 1000 || vscode.window.state.focused) return;
    const minutes = execution.durationMs / 60_000;
    const took = minutes >= 1 ? `${minutes.toFixed(1)} min` : `${Math.round(execution.durationMs / 1000)} s`;
    const what = `Cell ${cell.index + 1} of ${basename(cell.notebook.uri.path)}`;
    const message = execution.status === 'ok' ? `${what} finished after ${took}.` : `${what} failed (${execution.status}) after ${took}.`;
    void (execution.status === 'ok' ? vscode.window.showInformationMessage(message) : vscode.window.showWarningMessage(message));
  }

  private inspectSoon(live: LiveKernel): void {
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

  /** Re-reads the variables of a kernel (after the agent ran code, or on refresh). */
  refreshVariables(live: LiveKernel): void {
    this.inspectSoon(live);
  }

  // KernelTargets, for the agent's tools.
  async active(): Promise<KernelTarget> {
    const editor = vscode.window.activeNotebookEditor?.notebook;
    const notebook = editor && editor.notebookType === NOTEBOOK_TYPE ? editor : this.lastNotebook;
    if (!notebook) throw new Error('No notebook is open. Ask the user to open a notebook and pick an ML Engineer kernel (kernel picker, top right).');
    let live = this.live.get(notebook.uri.toString());
    if (!live) {
      const bound = this.bindings()[notebook.uri.toString()];
      const entry = bound ? [...this.controllers.values()].find((c) => c.serverId === bound.serverId && c.spec.name === bound.spec) : undefined;
      if (!bound || !entry) {
        throw new Error(`${basename(notebook.uri.path)} has no ML Engineer kernel. Ask the user to pick one in the notebook's kernel picker (top right).`);
      }
      live = await this.kernelFor(notebook, bound.serverId, entry.spec);
    }
    const target = live;
    return {
      label: `${basename(notebook.uri.path)}: ${target.spec.displayName} on ${target.server.label}`,
      connection: target.connection,
      interrupt: () => target.connection.interrupt(),
      restart: async () => {
        await target.connection.restart();
        target.inspection = undefined;
        this.changed.fire();
      },
      onExecutionEnded: () => this.inspectSoon(target),
    };
  }

  private bindings(): Record<string, Binding> {
    return this.context.workspaceState.get<Record<string, Binding>>(BINDINGS_KEY, {});
  }

  private async saveBinding(key: string, binding: Binding): Promise<void> {
    await this.context.workspaceState.update(BINDINGS_KEY, { ...this.bindings(), [key]: binding });
  }

  private runningCells(): Record<string, RunningCell> {
    return this.context.workspaceState.get<Record<string, RunningCell>>(RUNNING_KEY, {});
  }

  private async saveRunning(notebook: vscode.NotebookDocument, running: RunningCell): Promise<void> {
    await this.context.workspaceState.update(RUNNING_KEY, { ...this.runningCells(), [notebook.uri.toString()]: running });
  }

  private async clearRunning(notebook: vscode.NotebookDocument): Promise<void> {
    const all = { ...this.runningCells() };
    delete all[notebook.uri.toString()];
    await this.context.workspaceState.update(RUNNING_KEY, all);
  }

  dispose(): void {
    // Connections close; kernels and the local server live on, so a reload finds training still running.
    for (const live of this.live.values()) if (!live.connection.isDisposed) live.connection.dispose();
    this.live.clear();
    for (const { controller } of this.controllers.values()) controller.dispose();
    this.controllers.clear();
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}

export function controllerId(serverId: string, spec: string): string {
  return `${NOTEBOOK_CONTROLLER_PREFIX}${serverId}.${spec}`.replace(/[^\w.-]/g, '_');
}

function errorOutput(name: string, message: string): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name, message })], { outputType: 'error' });
}

/** The local server's root is the file system root: a kernel's folder is sent relative to it. */
function relativeToRoot(folder: string): string | undefined {
  const root = parse(folder).root;
  const rel = relative(root, folder);
  return isAbsolute(rel) ? undefined : rel.split('\\').join('/');
}
