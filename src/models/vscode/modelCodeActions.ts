import { lstatSync } from 'node:fs';
import * as vscode from 'vscode';
import type { FeatureHost } from '../../activation/featureHost';
import { findModelSite } from '../codeActions/modelSites';
import { ACTION_TITLES, actionsFor, servingApp, snippetFor } from '../codeActions/modelSnippets';

/**
 * Python code actions on a model (`torch.save(`, a module built from an nn.Module class,
 * `from_pretrained(`, a scikit-learn or Keras `.fit(`): Export to ONNX / TorchScript, Quantize.
 * Each inserts code after the statement, named after the user's variables; nothing runs.
 */
export class ModelCodeActions implements vscode.CodeActionProvider {
  static readonly kind = vscode.CodeActionKind.RefactorRewrite.append('mlEngineer');

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const site = findModelSite(document.getText(), range.start.line);
    if (!site) return [];
    // A symbolic link where the serving app would go (a dangling one looks absent to VS Code's
    // createFile) would have the app written wherever it points: no serving app then.
    const servingTarget = (): vscode.Uri => vscode.Uri.joinPath(document.uri, '..', servingApp(site).fileName);
    const linked = document.uri.scheme === 'file' && lstatSync(servingTarget().fsPath, { throwIfNoEntry: false })?.isSymbolicLink() === true;
    return actionsFor(site).filter((action) => !(action === 'serving-app' && linked)).map((action) => {
      const codeAction = new vscode.CodeAction(`ML Engineer: ${ACTION_TITLES[action]} (${site.model})`, ModelCodeActions.kind);
      const edit = new vscode.WorkspaceEdit();
      if (action === 'serving-app') {
        // A new file beside the script (never over an existing one), opened once made.
        const app = servingApp(site);
        const uri = servingTarget();
        edit.createFile(uri, { ignoreIfExists: true, contents: new TextEncoder().encode(app.content) });
        codeAction.edit = edit;
        codeAction.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
        return codeAction;
      }
      const at = site.endLine + 1;
      // After the last line: a file without a trailing newline gets one first.
      const position = at < document.lineCount ? new vscode.Position(at, 0) : document.lineAt(document.lineCount - 1).range.end;
      edit.insert(document.uri, position, (at < document.lineCount ? '' : '\n') + snippetFor(site, action));
      codeAction.edit = edit;
      return codeAction;
    });
  }
}

/** Behind the provider activation registered for Python files, with ModelCodeActions.kind. */
export function registerModelCodeActions(host: FeatureHost): void {
  host.pythonCodeActions(new ModelCodeActions());
}
