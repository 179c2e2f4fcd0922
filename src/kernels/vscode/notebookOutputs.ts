import * as vscode from 'vscode';
import type { CellOutput } from '../outputModel';

const BINARY_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp']);

/**
 * Our outputs as VS Code notebook outputs. The metadata follows what the built-in ipynb
 * serializer reads back (outputType, executionCount, metadata, transient), so a saved
 * notebook has the same outputs Jupyter would have written.
 */
export function toNotebookOutputs(outputs: readonly CellOutput[]): vscode.NotebookCellOutput[] {
  return outputs.map(toNotebookOutput);
}

function toNotebookOutput(output: CellOutput): vscode.NotebookCellOutput {
  switch (output.type) {
    case 'stream':
      return new vscode.NotebookCellOutput(
        [output.name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(output.text) : vscode.NotebookCellOutputItem.stdout(output.text)],
        { outputType: 'stream' },
      );
    case 'error':
      return new vscode.NotebookCellOutput(
        [vscode.NotebookCellOutputItem.error({ name: output.ename, message: output.evalue, stack: output.traceback.join('\n') })],
        { outputType: 'error', originalError: { output_type: 'error', ename: output.ename, evalue: output.evalue, traceback: output.traceback } },
      );
    default: {
      const items: vscode.NotebookCellOutputItem[] = [];
      for (const [mime, value] of Object.entries(output.data)) {
        const item = toItem(mime, value);
        if (item) items.push(item);
      }
      return new vscode.NotebookCellOutput(items, {
        outputType: output.type,
        metadata: output.metadata,
        ...(output.type === 'execute_result' ? { executionCount: output.executionCount ?? null } : {}),
        ...(output.displayId ? { transient: { display_id: output.displayId } } : {}),
      });
    }
  }
}

function toItem(mime: string, value: unknown): vscode.NotebookCellOutputItem | undefined {
  if (BINARY_IMAGES.has(mime) && typeof value === 'string') return new vscode.NotebookCellOutputItem(Buffer.from(value, 'base64'), mime);
  if (typeof value === 'string') return vscode.NotebookCellOutputItem.text(value, mime);
  // nbformat allows multi-line strings as arrays of lines.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return vscode.NotebookCellOutputItem.text(value.join(''), mime);
  if (value !== undefined) return vscode.NotebookCellOutputItem.json(value, mime);
  return undefined;
}
