import * as vscode from 'vscode';

// Reports (drift, load test, model comparison) as Markdown files in the extension's own storage,
// opened in the Markdown preview: nothing is written into the user's workspace without a Save, the
// preview renders a file (an untitled document has no preview in code-server), and no editor is left
// dirty. The last 20 are kept.

const KEEP = 20;

export async function openReport(context: vscode.ExtensionContext, name: string, markdown: string): Promise<vscode.Uri> {
  const folder = vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'reports');
  await vscode.workspace.fs.createDirectory(folder);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = vscode.Uri.joinPath(folder, `${name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80)}-${stamp}.md`);
  await vscode.workspace.fs.writeFile(file, Buffer.from(markdown, 'utf8'));
  const old = (await vscode.workspace.fs.readDirectory(folder)).map(([n]) => n).filter((n) => n.endsWith('.md')).sort((a, b) => a.slice(-28).localeCompare(b.slice(-28)));
  for (const n of old.slice(0, Math.max(0, old.length - KEEP))) await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder, n)).then(undefined, () => undefined);
  await vscode.commands.executeCommand('markdown.showPreview', file);
  return file;
}
