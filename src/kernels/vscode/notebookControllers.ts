import { NOTEBOOK_CONTROLLER_PREFIX } from '../../commandIds';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import type { KernelBindings } from '../kernelBindings';
import type { KernelSpecInfo } from '../serverConnect';
import type { JupyterServerEntry, JupyterServers } from './jupyterServers';

export const NOTEBOOK_TYPE = 'jupyter-notebook';

/** What a controller does with the notebooks it is given: the cell runner and the kernel owner. */
export interface ControllerHandlers {
  execute(cells: readonly vscode.NotebookCell[], notebook: vscode.NotebookDocument, controller: vscode.NotebookController, serverId: string, spec: KernelSpecInfo): Promise<void>;
  interrupt(notebook: vscode.NotebookDocument): Promise<void>;
  selected(notebook: vscode.NotebookDocument, controller: vscode.NotebookController, serverId: string, spec: KernelSpecInfo): void;
  deselected(notebook: vscode.NotebookDocument, serverId: string, spec: KernelSpecInfo): void;
}

/**
 * Controller registration: one NotebookController per kernel spec of each server ("ML
 * Engineer: <server> / <kernel>" in the kernel picker), following the servers' specs.
 */
export class NotebookControllers implements vscode.Disposable {
  private readonly controllers = new Map<string, { controller: vscode.NotebookController; serverId: string; spec: KernelSpecInfo }>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly log: Logger,
    private readonly servers: JupyterServers,
    private readonly bindings: KernelBindings,
    private readonly handlers: ControllerHandlers,
  ) {
    this.subscription = servers.onDidChange(() => this.sync());
  }

  /** The spec a controller offers for this server, if one does. */
  spec(serverId: string, specName: string): KernelSpecInfo | undefined {
    return [...this.controllers.values()].find((c) => c.serverId === serverId && c.spec.name === specName)?.spec;
  }

  /** Controllers follow the servers' kernel specs: new specs appear in the picker, gone ones leave it. */
  private sync(): void {
    const wanted = new Set<string>();
    for (const server of this.servers.list()) {
      for (const spec of server.specs) {
        const id = controllerId(server.id, spec.name);
        wanted.add(id);
        if (!this.controllers.has(id)) this.create(id, server, spec);
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

  private create(id: string, server: JupyterServerEntry, spec: KernelSpecInfo): void {
    const controller = vscode.notebooks.createNotebookController(id, NOTEBOOK_TYPE, spec.displayName);
    controller.description = `ML Engineer: ${server.label}`;
    controller.detail = server.baseUrl ?? server.endpoint?.baseUrl ?? '';
    controller.supportedLanguages = [spec.language.toLowerCase() === 'python' ? 'python' : spec.language.toLowerCase()];
    controller.supportsExecutionOrder = true;
    controller.executeHandler = (cells, notebook) => this.handlers.execute(cells, notebook, controller, server.id, spec);
    controller.interruptHandler = (notebook) => this.handlers.interrupt(notebook);
    controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
      if (selected) this.handlers.selected(notebook, controller, server.id, spec);
      else this.handlers.deselected(notebook, server.id, spec);
    });
    this.controllers.set(id, { controller, serverId: server.id, spec });
    // Prefer the spec a notebook was saved with, on the local server, in the picker.
    for (const notebook of vscode.workspace.notebookDocuments) this.setAffinity(notebook, controller, server, spec);
    this.log.info(`Jupyter: kernel "${spec.displayName}" of ${server.label} is offered to notebooks`);
  }

  private setAffinity(notebook: vscode.NotebookDocument, controller: vscode.NotebookController, server: JupyterServerEntry, spec: KernelSpecInfo): void {
    if (notebook.notebookType !== NOTEBOOK_TYPE) return;
    const saved = (notebook.metadata.metadata as { kernelspec?: { name?: string } } | undefined)?.kernelspec?.name;
    if (this.bindings.isBoundTo(notebook.uri.toString(), server.id, spec.name) || (server.kind === 'local' && saved === spec.name)) {
      controller.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    for (const { controller } of this.controllers.values()) controller.dispose();
    this.controllers.clear();
  }
}

export function controllerId(serverId: string, spec: string): string {
  return `${NOTEBOOK_CONTROLLER_PREFIX}${serverId}.${spec}`.replace(/[^\w.-]/g, '_');
}
