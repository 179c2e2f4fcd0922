import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { FeatureHost } from '../../../activation/featureHost';
import { COMMANDS, VIEWS } from '../../../commandIds';
import { describeError, isUserError, UserError } from '../../../common/errors';
import { registerCommand } from '../../../common/vscode/commandRegistry';
import type { KernelsNode } from '../../../kernels/vscode/kernelsTree';
import type { LiveKernel } from '../../../kernels/vscode/liveKernels';
import type { NotebookKernels } from '../../../kernels/vscode/notebookKernels';
import type { DatasetGrid } from '../../vscode/datasetPanel';
import { onCellsRan, type Subscription } from '../cellActivity';
import { KernelDatasetSource } from '../kernelDatasetSource';
import { nameAtCursor } from '../nameAtCursor';

/**
 * "Open in Data Viewer": a DataFrame or array of a live kernel in the Dataset grid (the data
 * feature's, through the FeatureHost), from the Kernels view or from the name under the cursor in
 * a notebook cell. One grid per kernel and variable; it refreshes each time a cell of that kernel ran.
 */
export function registerKernelDataCommands(host: FeatureHost, kernels: NotebookKernels): void {
  const { context, log } = host;
  const open = new Map<string, { readonly grid: DatasetGrid; readonly watch: Subscription }>();
  context.subscriptions.push({ dispose: () => [...open.values()].forEach((o) => o.watch.dispose()) });

  const show = async (live: LiveKernel, name: string): Promise<void> => {
    const key = `${live.binding.kernelId}\n${name}`;
    const notebook = basename(live.notebook.uri.path);
    const existing = open.get(key);
    if (existing) {
      existing.grid.panel.reveal();
      await existing.grid.refresh();
      return;
    }
    let source: KernelDatasetSource;
    try {
      // A kernel running a cell answers after it: the progress says so, and Cancel stops waiting.
      source = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Reading ${name} from the kernel of ${notebook}…`, cancellable: true },
        (_, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return KernelDatasetSource.open(live.connection, name, controller.signal, { label: name });
        },
      );
    } catch (error) {
      if (isUserError(error)) throw new UserError(`${error.message} (${notebook}).`);
      throw new UserError(`${name} could not be read from the kernel of ${notebook}: ${describeError(error)}`, { cause: error });
    }
    const grid = host.load('data', `open ${name} from a kernel`).openDatasetPanel(source, `${name} (${notebook})`);
    const watch = onCellsRan(live.connection, () => void grid.refresh().catch((error: unknown) => log.warn(`data viewer: refreshing ${name}: ${describeError(error)}`)));
    open.set(key, { grid, watch });
    grid.panel.onDidDispose(() => {
      watch.dispose();
      open.delete(key);
    });
    log.info(`data viewer: opened ${name} (${source.library}) from the kernel of ${notebook}`);
  };

  registerCommand(context, log, COMMANDS.openVariableInDataViewer, async (node?: unknown) => {
    const target = variableNode(node);
    if (!target) throw new UserError('Pick a DataFrame or array in the Kernels view to open it in the Data Viewer.');
    await show(target.live, target.variable.name);
  });

  registerCommand(context, log, COMMANDS.openNameInDataViewer, async () => {
    const editor = vscode.window.activeTextEditor;
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    const cell = notebook?.getCells().find((c) => c.document === editor?.document);
    if (!editor || !notebook || !cell) throw new UserError('Put the cursor on a variable name in a notebook cell to open it in the Data Viewer.');
    const position = editor.selection.active;
    const selected = editor.document.getText(editor.selection).trim();
    const name = selected || nameAtCursor(editor.document.lineAt(position.line).text, position.character);
    if (!name) throw new UserError('The cursor is not on a variable name: put it on the name of a DataFrame or array.');
    const live = kernels.forNotebook(notebook);
    if (!live) throw new UserError(`${basename(notebook.uri.path)} has no running ML Engineer kernel: run a cell first.`, { actions: [{ label: 'Show Kernels', command: `${VIEWS.kernels}.focus` }] });
    await show(live, name);
  });
}

function variableNode(node: unknown): Extract<KernelsNode, { kind: 'variable' }> | undefined {
  return typeof node === 'object' && node !== null && (node as KernelsNode).kind === 'variable' ? (node as Extract<KernelsNode, { kind: 'variable' }>) : undefined;
}
