import { basename } from 'node:path';
import * as vscode from 'vscode';
import { finishedWhileAwayNotice, type FinishedRun } from '../finishedWhileAway';

/** A long cell that ends while the window is in the background says so (mlEngineer.jupyter.notifyAfterSeconds). */
export function notifyIfFinishedWhileAway(run: FinishedRun, cell: vscode.NotebookCell): void {
  const notice = finishedWhileAwayNotice(run, {
    what: `Cell ${cell.index + 1} of ${basename(cell.notebook.uri.path)}`,
    thresholdSeconds: vscode.workspace.getConfiguration('mlEngineer').get<number>('jupyter.notifyAfterSeconds', 60),
    windowFocused: vscode.window.state.focused,
  });
  if (notice) void (notice.level === 'info' ? vscode.window.showInformationMessage(notice.message) : vscode.window.showWarningMessage(notice.message));
}
