import type * as vscode from 'vscode';
import type { CatalogEntry } from '../runCatalog';

// Nodes other parts add to the Experiments tree without the tree knowing them: Optuna studies
// at the top level, each MLflow source's model registry under it. The tree hands such a node
// back to the extension that made it for its children and its item.

export interface ExtensionNode {
  readonly kind: 'extension';
  readonly owner: TreeExtension;
  readonly data: unknown;
}

export interface TreeExtension {
  /** Nodes after the sources at the top level. */
  roots(): ExtensionNode[];
  /** Nodes first under a source. */
  sourceChildren(entry: CatalogEntry): ExtensionNode[];
  children(node: ExtensionNode): ExtensionNode[] | Promise<ExtensionNode[]>;
  item(node: ExtensionNode): vscode.TreeItem;
}
