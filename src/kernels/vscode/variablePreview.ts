import { basename } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, VIEWS } from '../../commandIds';
import { UserError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { ReadonlyDocuments } from '../../common/vscode/readonlyDocuments';
import { MAX_PREVIEW_CHARS, previewKernelValue } from '../valuePreview';
import type { KernelsNode } from './kernelsTree';

const SCHEME = 'ml-engineer-value';

/**
 * Preview Value (a click on a DataFrame, array or tensor in the Kernels view): a read-only text
 * document with its shape, dtypes, first and last rows and statistics, read from the kernel by a
 * silent request. Read again on each click; the document says when it was read.
 */
export function registerVariablePreview(context: vscode.ExtensionContext, log: Logger): void {
  const documents = new ReadonlyDocuments(SCHEME, 'Click a variable in the Kernels view to preview it.');
  context.subscriptions.push(documents);
  registerCommand(context, log, COMMANDS.previewVariable, async (node?: unknown) => {
    const target = variableNode(node);
    if (!target) throw new UserError('Pick a DataFrame, array or tensor in the Kernels view to preview it.');
    const { variable, live } = target;
    const notebook = basename(live.notebook.uri.path);
    // Progress in the Kernels view: a busy kernel answers only after its cell.
    let preview: Awaited<ReturnType<typeof previewKernelValue>>;
    try {
      preview = await vscode.window.withProgress({ location: { viewId: VIEWS.kernels }, title: `Reading ${variable.name}…` }, () => previewKernelValue(live.connection, variable.name));
    } catch (error) {
      throw new UserError(`${variable.name} could not be read from the kernel of ${notebook}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!preview) throw new UserError(`${variable.name} is no longer defined in the kernel of ${notebook}.`);
    const header = `Preview of ${variable.name} in the kernel of ${notebook}, read at ${new Date().toLocaleTimeString()} (click it in the Kernels view to read it again).`;
    const cut = preview.truncated ? `\n\n(cut at ${MAX_PREVIEW_CHARS.toLocaleString('en-US')} characters)` : '';
    // One document per variable and kernel: clicking again refreshes it in place.
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${variable.name} (${notebook})`, query: new URLSearchParams({ kernel: live.binding.kernelId }).toString() });
    documents.update(uri, `${header}\n\n${preview.text}${cut}\n`);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true, preserveFocus: false });
  });
}

function variableNode(node: unknown): Extract<KernelsNode, { kind: 'variable' }> | undefined {
  return typeof node === 'object' && node !== null && (node as KernelsNode).kind === 'variable' ? (node as Extract<KernelsNode, { kind: 'variable' }>) : undefined;
}
