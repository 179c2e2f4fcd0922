import * as vscode from 'vscode';

/**
 * Read-only documents under one URI scheme whose text the extension sets (reports, previews):
 * registered once; `update` sets (and refreshes) a document's text.
 */
export class ReadonlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor(
    readonly scheme: string,
    private readonly missing: string,
  ) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(scheme, this);
  }

  update(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? this.missing;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
