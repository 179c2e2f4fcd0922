import { basename } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, VIEW_TYPES } from '../../commandIds';
import { isUserError } from '../../common/errors';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import { parseFromGraphView, type ToGraphView } from '../graph/protocol';
import type * as ModelsCore from '../lazy/modelsCore';

/**
 * The model graph view (media/graph/): an ONNX model's nodes grouped by name scope. The graph is
 * read in the models worker, and each layout the view asks for runs there too (dagre, per open
 * scope), so neither the host's thread nor the webview's waits on either. One panel per file.
 */
export function registerModelGraph(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  core: () => typeof ModelsCore,
  pick: (arg: unknown, title: string) => Promise<vscode.Uri | undefined>,
): void {
  const panels = new Map<string, vscode.WebviewPanel>();
  registerCommand(context, log, COMMANDS.showModelGraph, async (arg?: unknown) => {
    const uri = await pick(arg, 'Show a model graph');
    if (!uri) return;
    const open = panels.get(uri.toString());
    if (open) return open.reveal();
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES.modelGraph, `${basename(uri.fsPath)} (graph)`, vscode.ViewColumn.Active, { retainContextWhenHidden: true });
    panels.set(uri.toString(), panel);
    showGraph(panel, uri, context.extensionUri, log, core);
    panel.onDidDispose(() => panels.delete(uri.toString()));
  });
}

function showGraph(panel: vscode.WebviewPanel, uri: vscode.Uri, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, core: () => typeof ModelsCore): void {
  setWebviewContent(panel.webview, extensionUri, 'graph', `${basename(uri.fsPath)} (graph)`);
  const closed = new AbortController();
  panel.onDidDispose(() => closed.abort());
  const path = uri.fsPath;
  const shown = vscode.workspace.asRelativePath(uri);
  const post = async (message: ToGraphView): Promise<void> => {
    if (!closed.signal.aborted) await panel.webview.postMessage(message);
  };
  /** The file's problem, said in the view; anything else is also logged. */
  const problem = (error: unknown): string => {
    if (!(error instanceof core().ModelFormatError) && !isUserError(error)) log.warn(`model graph: ${path}: ${(error as Error).message}`);
    return (error as Error).message;
  };
  panel.webview.onDidReceiveMessage(async (raw: unknown) => {
    const message = parseFromGraphView(raw);
    if (!message) return log.warn('model graph: ignored a malformed message from the view');
    const reader = core().modelReader();
    switch (message.type) {
      case 'ready': {
        const started = performance.now();
        try {
          const graph = await reader.graph(path, closed.signal);
          await post({ type: 'graph', graph: { ...graph, path: shown }, readMs: Math.round(performance.now() - started) });
        } catch (error) {
          await post({ type: 'error', path: shown, message: problem(error) });
        }
        return;
      }
      case 'layout':
        try {
          await post({ type: 'layout', id: message.id, layouts: await reader.layout(path, message.units, closed.signal) });
        } catch (error) {
          await post({ type: 'layout', id: message.id, error: problem(error) });
        }
        return;
      case 'stats':
        try {
          await post({ type: 'stats', tensor: message.tensor, stats: await reader.tensorStats(path, message.tensor, undefined, closed.signal) });
        } catch (error) {
          await post({ type: 'stats', tensor: message.tensor, error: problem(error) });
        }
        return;
      case 'summary':
        await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPES.modelViewer);
        return;
      case 'painted':
        log.info(`model graph: ${shown}: first paint ${Math.round(message.ms)} ms, ${message.items} items`);
    }
  });
}
