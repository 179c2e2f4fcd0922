import { basename } from 'node:path';
import vscode = require('vscode');
import { SETTINGS } from '../commandIds';
import { JUPYTER_NOTEBOOK_TYPE } from './featureTable';
import type { Features } from './features';

/**
 * What starts without a click, each after activate() has returned (a timer or an event, so in a
 * later task, never on the activation path): the kernels when a Jupyter notebook is or becomes
 * open (our controllers must be in its kernel picker, and a cell left running is followed), and
 * the GPU feature when its status bar item is on.
 */
export function scheduleAutoLoads(context: vscode.ExtensionContext, features: Features): void {
  const isJupyter = (notebook: vscode.NotebookDocument): boolean => notebook.notebookType === JUPYTER_NOTEBOOK_TYPE;
  const statusBar = (): boolean => vscode.workspace.getConfiguration(SETTINGS.gpu).get<boolean>('statusBar', true);
  if (vscode.workspace.notebookDocuments.some(isJupyter)) setTimeout(() => features.loadInBackground('kernels', 'a notebook is open'), 0);
  if (statusBar()) setTimeout(() => features.loadInBackground('gpu', 'the GPU status bar item'), 0);
  context.subscriptions.push(
    vscode.workspace.onDidOpenNotebookDocument((notebook) => {
      if (isJupyter(notebook)) features.loadInBackground('kernels', `${basename(notebook.uri.path)} opened`);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS.gpu) && statusBar()) features.loadInBackground('gpu', 'the GPU status bar item was turned on');
    }),
  );
}
