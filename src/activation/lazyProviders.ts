import vscode = require('vscode');
import { mayHoldModelSite } from '../models/codeActions/modelSiteHint';

// Stand-ins registered at activation for what VS Code asks a feature for (tree contents, the chat
// view, the model viewer, code actions). The first request loads the feature, which hands over its
// real provider (FeatureHost); every request is then forwarded to it. The registrations stay: a
// tree view or an open editor must not be torn down when its feature arrives.

/** Loads the feature; afterwards `target` is set (or the load threw). */
type Load = () => void;

abstract class LazyProvider<P> {
  protected target: P | undefined;

  constructor(private readonly load: Load) {}

  /** The feature's provider, loading the feature on first use. */
  protected provider(): P {
    if (!this.target) this.load();
    if (!this.target) throw new Error('the feature loaded but gave no provider');
    return this.target;
  }

  get attached(): boolean {
    return this.target !== undefined;
  }
}

export class LazyTreeDataProvider<T> extends LazyProvider<vscode.TreeDataProvider<T>> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<T | T[] | undefined | null | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private subscription: vscode.Disposable | undefined;

  attach(target: vscode.TreeDataProvider<T>): void {
    this.target = target;
    this.subscription = target.onDidChangeTreeData?.((e) => this.changed.fire(e));
  }

  getChildren(element?: T): vscode.ProviderResult<T[]> {
    return this.provider().getChildren(element);
  }

  // Elements only ever come from the feature's provider, so it is there for the rest.
  getTreeItem(element: T): vscode.TreeItem | Thenable<vscode.TreeItem> {
    return this.provider().getTreeItem(element);
  }

  getParent(element: T): vscode.ProviderResult<T> {
    return this.provider().getParent?.(element);
  }

  resolveTreeItem(item: vscode.TreeItem, element: T, token: vscode.CancellationToken): vscode.ProviderResult<vscode.TreeItem> {
    const target = this.provider();
    return target.resolveTreeItem ? target.resolveTreeItem(item, element, token) : item;
  }

  dispose(): void {
    this.subscription?.dispose();
    this.changed.dispose();
  }
}

export class LazyWebviewViewProvider extends LazyProvider<vscode.WebviewViewProvider> implements vscode.WebviewViewProvider {
  attach(target: vscode.WebviewViewProvider): void {
    this.target = target;
  }

  resolveWebviewView(view: vscode.WebviewView, context: vscode.WebviewViewResolveContext, token: vscode.CancellationToken): void | Thenable<void> {
    return this.provider().resolveWebviewView(view, context, token);
  }
}

export class LazyCustomEditorProvider extends LazyProvider<vscode.CustomReadonlyEditorProvider> implements vscode.CustomReadonlyEditorProvider {
  attach(target: vscode.CustomReadonlyEditorProvider): void {
    this.target = target;
  }

  openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext, token: vscode.CancellationToken): vscode.CustomDocument | Thenable<vscode.CustomDocument> {
    return this.provider().openCustomDocument(uri, context, token);
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel, token: vscode.CancellationToken): void | Thenable<void> {
    return this.provider().resolveCustomEditor(document, panel, token);
  }
}

export class LazyCodeActionProvider extends LazyProvider<vscode.CodeActionProvider> implements vscode.CodeActionProvider {
  attach(target: vscode.CodeActionProvider): void {
    this.target = target;
  }

  provideCodeActions(
    document: vscode.TextDocument,
    range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
    token: vscode.CancellationToken,
  ): vscode.ProviderResult<(vscode.CodeAction | vscode.Command)[]> {
    // Until the feature is loaded, a document that can hold no model site does not load it.
    if (!this.target && !mayHoldModelSite(document.getText())) return undefined;
    return this.provider().provideCodeActions(document, range, context, token);
  }

  resolveCodeAction(action: vscode.CodeAction, token: vscode.CancellationToken): vscode.ProviderResult<vscode.CodeAction> {
    const target = this.provider();
    return target.resolveCodeAction ? target.resolveCodeAction(action, token) : action;
  }
}
