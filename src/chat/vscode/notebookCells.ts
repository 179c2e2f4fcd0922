import * as vscode from 'vscode';
import type { NotebookCells } from '../../agent/tools/tool';

/**
 * Notebook cells through the notebook API: the open notebook (with unsaved edits) is what is
 * read and changed, a replaced cell keeps its outputs and metadata, and the notebook is saved
 * so the agent's next read_notebook sees the change.
 */
export const vscodeNotebookCells: NotebookCells = {
  async read(absolutePath) {
    const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(absolutePath));
    return notebook.getCells().map((cell) => ({
      kind: cell.kind === vscode.NotebookCellKind.Markup ? ('markdown' as const) : ('code' as const),
      language: cell.document.languageId,
      source: cell.document.getText(),
    }));
  },

  async replaceCell(absolutePath, index, source) {
    const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(absolutePath));
    const cell = notebook.cellAt(index);
    const edit = new vscode.WorkspaceEdit();
    const text = cell.document.getText();
    edit.replace(cell.document.uri, new vscode.Range(cell.document.positionAt(0), cell.document.positionAt(text.length)), source);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not edit cell ${index}`);
    await notebook.save();
  },

  async insertCell(absolutePath, index, kind, source) {
    const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(absolutePath));
    const language = kind === 'markdown' ? 'markdown' : (notebook.getCells().find((c) => c.kind === vscode.NotebookCellKind.Code)?.document.languageId ?? 'python');
    const cell = new vscode.NotebookCellData(kind === 'markdown' ? vscode.NotebookCellKind.Markup : vscode.NotebookCellKind.Code, source, language);
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, [vscode.NotebookEdit.insertCells(index, [cell])]);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not insert a cell at ${index}`);
    await notebook.save();
  },
};
