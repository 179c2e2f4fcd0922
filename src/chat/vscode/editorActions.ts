import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FileChange } from '../../agent/tools/tool';
import { UserError } from '../../common/errors';
import type * as MarkdownLexer from '../lazy/markdownLexer';
import type { FromWebview } from '../protocol';
import type { TranscriptItem } from '../transcript';

const PROPOSED_SCHEME = 'ml-engineer-proposed';

/**
 * The notebook the person is looking at: the active one, else the only one on screen. A notebook
 * that has just opened is on screen before the extension host hears of it, so a click right then
 * waits a moment for it instead of saying that no notebook is open.
 */
function shownNotebookEditor(waitMs = 3000): Promise<vscode.NotebookEditor | undefined> {
  const visible = vscode.window.visibleNotebookEditors;
  const now = vscode.window.activeNotebookEditor ?? (visible.length === 1 ? visible[0] : undefined);
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const done = (editor: vscode.NotebookEditor | undefined): void => {
      clearTimeout(timer);
      listener.dispose();
      resolve(editor);
    };
    const listener = vscode.window.onDidChangeActiveNotebookEditor((editor) => editor && done(editor));
    const timer = setTimeout(() => done(vscode.window.activeNotebookEditor), waitMs);
  });
}

/** What the chat does in editors: apply approved changes, show diffs, insert code. */
export class EditorActions implements vscode.Disposable {
  private readonly proposed = new Map<string, string>();
  private readonly registration: vscode.Disposable;
  private lexer: typeof MarkdownLexer | undefined;

  constructor(private readonly extensionPath: string) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, {
      provideTextDocumentContent: (uri) => this.proposed.get(uri.query) ?? '',
    });
  }

  /** Applies through a WorkspaceEdit (open buffers follow, undo works), then saves so tools read it from disk. */
  async applyChange(change: FileChange): Promise<void> {
    const uri = vscode.Uri.file(change.absolutePath);
    const edit = new vscode.WorkspaceEdit();
    if (change.before === null) {
      edit.createFile(uri, { ignoreIfExists: false, contents: new TextEncoder().encode(change.after) });
      if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not create ${change.path}`);
      return;
    }
    const document = await vscode.workspace.openTextDocument(uri);
    if (document.getText() !== change.before) throw new Error(`${change.path} changed since the edit was proposed; ask for it again`);
    edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), change.after);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not edit ${change.path}`);
    await document.save();
  }

  async showDiff(callId: string, change: FileChange): Promise<void> {
    this.proposed.set(callId, change.after);
    this.proposed.set(`${callId}:before`, change.before ?? '');
    const name = change.cell ? `${change.path} cell ${change.cell.index}.${change.cell.language === 'markdown' ? 'md' : 'py'}` : change.path;
    const right = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${name}`, query: callId });
    // A file's current text is its own document; a cell's (or a new file's) is a virtual one.
    const left =
      change.before !== null && !change.cell
        ? vscode.Uri.file(change.absolutePath)
        : vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/before/${name}`, query: `${callId}:before` });
    await vscode.commands.executeCommand('vscode.diff', left, right, `${name}: proposed change`, { preview: true });
  }

  /**
   * Copy / Insert / Insert as cell / Run in kernel on a code block of the chat. The code comes
   * from the stored Markdown (the same tokenizer the webview drew it with), found by the digest
   * of the code the webview showed: text hidden in the page can never be what is copied or run.
   */
  async runCodeAction(message: Extract<FromWebview, { type: 'codeAction' }>, items: readonly TranscriptItem[]): Promise<void> {
    // A separate bundle, required on first use: marked stays off the activation path.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lexer = (this.lexer ??= require(join(this.extensionPath, 'dist', 'lazy', 'markdown.js')) as typeof MarkdownLexer);
    const forKernel = message.action === 'runInKernel';
    const block = lexer.findCodeBlock(items, message.itemId, message.digest, lexer.lexMarkdown, (b) => !forKernel || lexer.KERNEL_LANGUAGES.has(b.language));
    if (!block) throw new UserError('That code block is not in this conversation as it was saved, so nothing was copied, inserted or run.');
    switch (message.action) {
      case 'copy':
        return vscode.env.clipboard.writeText(block.code);
      case 'insert':
        return this.insertAtCursor(block.code);
      case 'insertCell':
        await this.insertNotebookCell(block.code, lexer.KERNEL_LANGUAGES.has(block.language) ? 'python' : block.language);
        return;
      case 'runInKernel':
        return this.runInNotebook(block.code);
    }
  }

  async insertAtCursor(code: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new UserError('Open a file and place the cursor where the code should go.');
    await editor.edit((b) => b.replace(editor.selection, code));
  }

  async insertNotebookCell(code: string, language: string): Promise<{ notebook: vscode.NotebookDocument; index: number }> {
    const editor = await shownNotebookEditor();
    if (!editor) throw new UserError('Open a notebook to insert the code as a cell.');
    const index = editor.selection ? editor.selection.end : editor.notebook.cellCount;
    const cell = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, code, language === 'markdown' ? 'markdown' : language || 'python');
    const edit = new vscode.WorkspaceEdit();
    edit.set(editor.notebook.uri, [vscode.NotebookEdit.insertCells(index, [cell])]);
    await vscode.workspace.applyEdit(edit);
    editor.selection = new vscode.NotebookRange(index, index + 1);
    editor.revealRange(editor.selection, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
    return { notebook: editor.notebook, index };
  }

  /**
   * "Run in kernel": the code becomes a cell of the active notebook and runs in its kernel,
   * so what ran stays visible and saved with the notebook (the click is the user's approval).
   */
  async runInNotebook(code: string): Promise<void> {
    if (!(await shownNotebookEditor())) throw new UserError('Open a notebook to run the code in its kernel.');
    const { notebook, index } = await this.insertNotebookCell(code, 'python');
    await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: index, end: index + 1 }], document: notebook.uri });
  }

  dispose(): void {
    this.registration.dispose();
  }
}
