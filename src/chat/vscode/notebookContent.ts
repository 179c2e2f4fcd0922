import * as vscode from 'vscode';
import type { NotebookContent, NotebookContentOutput } from '../../agent/tools/notebookSummary';

// The MIME types the notebook API gives stream and error outputs (vscode.NotebookCellOutputItem.stdout/stderr/error).
const STDOUT = 'application/vnd.code.notebook.stdout';
const STDERR = 'application/vnd.code.notebook.stderr';
const ERROR = 'application/vnd.code.notebook.error';
const decoder = new TextDecoder();

/** The notebook open at this path, as read_notebook summarises it: unsaved edits and all. */
export function openNotebookContent(absolutePath: string): NotebookContent | undefined {
  const uri = vscode.Uri.file(absolutePath).toString();
  const notebook = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === uri);
  return notebook ? notebookContent(notebook) : undefined;
}

function notebookContent(notebook: vscode.NotebookDocument): NotebookContent {
  // The built-in ipynb serializer keeps the file's top-level fields, `metadata` among them, here.
  const kernel = (notebook.metadata as { metadata?: { kernelspec?: { display_name?: unknown } } }).metadata?.kernelspec?.display_name;
  return {
    ...(typeof kernel === 'string' ? { kernel } : {}),
    unsaved: notebook.isDirty,
    cells: notebook.getCells().map((cell) => ({
      kind: cell.kind === vscode.NotebookCellKind.Markup ? 'markdown' : cell.document.languageId === 'raw' ? 'raw' : 'code',
      source: cell.document.getText(),
      ...(cell.executionSummary?.executionOrder ? { executionCount: cell.executionSummary.executionOrder } : {}),
      outputs: cell.outputs.map(outputContent),
    })),
  };
}

function outputContent(output: vscode.NotebookCellOutput): NotebookContentOutput {
  const error = output.items.find((item) => item.mime === ERROR);
  if (error) {
    // The ipynb serializer keeps the nbformat error (its traceback lines) beside the item.
    const original = output.metadata?.originalError as { ename?: unknown; evalue?: unknown; traceback?: unknown } | undefined;
    if (original && Array.isArray(original.traceback)) {
      return { type: 'error', ename: text(original.ename), evalue: text(original.evalue), traceback: original.traceback.map(text) };
    }
    let parsed: { name?: unknown; message?: unknown; stack?: unknown } = {};
    try {
      parsed = JSON.parse(decoder.decode(error.data)) as typeof parsed;
    } catch {
      // an error item that is not JSON: shown without its details
    }
    return { type: 'error', ename: text(parsed.name), evalue: text(parsed.message), traceback: typeof parsed.stack === 'string' ? parsed.stack.split('\n') : [] };
  }
  const streams = output.items.filter((item) => item.mime === STDOUT || item.mime === STDERR);
  if (streams.length > 0 && streams.length === output.items.length) {
    return { type: 'stream', name: streams[0]!.mime === STDERR ? 'stderr' : 'stdout', text: streams.map((item) => decoder.decode(item.data)).join('') };
  }
  return {
    type: 'data',
    items: output.items.map((item) => (item.mime === 'text/plain' ? { mime: item.mime, text: decoder.decode(item.data), bytes: item.data.byteLength } : { mime: item.mime, bytes: item.data.byteLength })),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
