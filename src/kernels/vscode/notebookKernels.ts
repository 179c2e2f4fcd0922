import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { ExecutionQueue } from '../executionQueue';
import { KernelBindings } from '../kernelBindings';
import type { KernelSpecInfo } from '../serverConnect';
import type { KernelTarget, KernelTargets } from '../kernelTools';
import { CellExecutions } from './cellExecution';
import type { JupyterServers } from './jupyterServers';
import { LiveKernels, type LiveKernel } from './liveKernels';
import { NOTEBOOK_TYPE, NotebookControllers } from './notebookControllers';

/**
 * Notebooks on our kernels, put together from its parts: the controllers in the kernel picker
 * (notebookControllers.ts), the kernel of each notebook (liveKernels.ts) and its binding kept
 * across reloads (../kernelBindings.ts), cell execution (cellExecution.ts) in one queue per
 * notebook (../executionQueue.ts). The Kernels view, the status bar and the agent's tools use this.
 */
export class NotebookKernels implements vscode.Disposable, KernelTargets {
  private readonly kernels: LiveKernels;
  private readonly controllers: NotebookControllers;
  private readonly bindings: KernelBindings;
  readonly onDidChange: vscode.Event<void>;
  private readonly disposables: vscode.Disposable[] = [];
  /**
   * The kernel picked in each notebook's picker (by URI): bound only when a cell first runs, so the
   * agent's run_in_kernel right after the pick starts that kernel instead of asking for a pick again.
   */
  private readonly picked = new Map<string, { serverId: string; spec: KernelSpecInfo }>();

  constructor(context: vscode.ExtensionContext, log: Logger, servers: JupyterServers) {
    this.bindings = new KernelBindings(context.workspaceState);
    this.kernels = new LiveKernels(log, servers, this.bindings);
    this.onDidChange = this.kernels.onDidChange;
    const cells = new CellExecutions(log, this.kernels, this.bindings, new ExecutionQueue());
    this.controllers = new NotebookControllers(log, servers, this.bindings, {
      execute: (cellList, notebook, controller, serverId, spec) => cells.run(cellList, notebook, controller, serverId, spec),
      interrupt: async (notebook) => {
        const live = this.kernels.forNotebook(notebook);
        if (live) await live.connection.interrupt();
      },
      selected: (notebook, controller, serverId, spec) => {
        this.picked.set(notebook.uri.toString(), { serverId, spec });
        this.kernels.lastNotebook = notebook;
        void cells.reattach(notebook, controller, serverId, spec);
      },
      deselected: (notebook, serverId, spec) => {
        const picked = this.picked.get(notebook.uri.toString());
        if (picked?.serverId === serverId && picked.spec.name === spec.name) this.picked.delete(notebook.uri.toString());
        if (this.kernels.forNotebook(notebook)?.binding.serverId === serverId) this.kernels.release(notebook);
      },
    });
    this.disposables.push(
      vscode.window.onDidChangeActiveNotebookEditor((editor) => {
        if (editor && this.kernels.forNotebook(editor.notebook)) this.kernels.lastNotebook = editor.notebook;
        this.kernels.fireChanged();
      }),
      vscode.workspace.onDidCloseNotebookDocument((notebook) => this.kernels.release(notebook)),
    );
  }

  /** Kernels this window is connected to, for the Kernels tree and status bar. */
  liveKernels(): LiveKernel[] {
    return this.kernels.list();
  }

  stateOf(live: LiveKernel): string {
    return this.kernels.stateOf(live);
  }

  forKernelId(kernelId: string): LiveKernel | undefined {
    return this.kernels.forKernelId(kernelId);
  }

  forNotebook(notebook: vscode.NotebookDocument): LiveKernel | undefined {
    return this.kernels.forNotebook(notebook);
  }

  /** Re-reads the variables of a kernel (after the agent ran code, or on refresh). */
  refreshVariables(live: LiveKernel): void {
    this.kernels.inspectSoon(live);
  }

  // KernelTargets, for the agent's tools.
  async active(): Promise<KernelTarget> {
    const editor = vscode.window.activeNotebookEditor?.notebook;
    const notebook = editor && editor.notebookType === NOTEBOOK_TYPE ? editor : this.kernels.lastNotebook;
    if (!notebook) throw new Error('No notebook is open. Ask the user to open a notebook and pick an ML Engineer kernel (kernel picker, top right).');
    let live = this.kernels.forNotebook(notebook);
    if (!live) {
      const bound = this.bindings.binding(notebook.uri.toString());
      const boundSpec = bound ? this.controllers.spec(bound.serverId, bound.spec) : undefined;
      const kernel = this.picked.get(notebook.uri.toString()) ?? (bound && boundSpec ? { serverId: bound.serverId, spec: boundSpec } : undefined);
      if (!kernel) {
        throw new Error(`${basename(notebook.uri.path)} has no ML Engineer kernel. Ask the user to pick one in the notebook's kernel picker (top right).`);
      }
      live = await this.kernels.kernelFor(notebook, kernel.serverId, kernel.spec);
    }
    const target = live;
    return {
      label: `${basename(notebook.uri.path)}: ${target.spec.displayName} on ${target.server.label}`,
      connection: target.connection,
      interrupt: () => target.connection.interrupt(),
      restart: async () => {
        await target.connection.restart();
        this.kernels.forgetInspection(target);
      },
      onExecutionEnded: () => this.kernels.inspectSoon(target),
      whyDisconnected: target.whyDisconnected,
    };
  }

  dispose(): void {
    // Connections close; kernels and the local server live on, so a reload finds training still running.
    this.kernels.dispose();
    this.controllers.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
