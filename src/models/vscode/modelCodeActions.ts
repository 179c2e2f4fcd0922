import { lstatSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, MODEL_CODE_ACTION_KIND } from '../../commandIds';
import { lazyBundle } from '../../common/lazyBundle';
import type { FeatureHost } from '../../activation/featureHost';
import type { Logger } from '../../common/logger';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { findModelSite, scriptFacts, type ModelSite, type ScriptFacts } from '../codeActions/modelSites';
import { ACTION_TITLES, actionsFor, outputPath, servingApp, snippetFor, type ModelAction } from '../codeActions/modelSnippets';
import type { ModelCodePlan } from '../codeActions/trainingPlacement';
import type * as CodeActionsCore from '../lazy/codeActionsCore';

/**
 * Python code actions on a model (built, fitted, saved or loaded): Export to ONNX / TorchScript,
 * Quantize, a serving app. The code goes after the model is trained (the file parsed by
 * tree-sitter, dist/lazy/codeActions.js); where the script does not show that, the action asks
 * where, showing the places. Nothing runs.
 */
export class ModelCodeActions implements vscode.CodeActionProvider {
  static readonly kind = vscode.CodeActionKind.Empty.append(MODEL_CODE_ACTION_KIND);
  /** Facts about the open document's text, per version: the provider runs on every cursor move. */
  private facts: { uri: string; version: number; facts: ScriptFacts } | undefined;
  private syntax: Promise<CodeActionsCore.PythonSyntax> | undefined;
  private loadFailed = false;
  private lastPlan: { key: string; plan: ModelCodePlan | undefined } | undefined;

  constructor(private readonly core: () => typeof CodeActionsCore, private readonly wasmDir: string, private readonly log: Logger) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] | Promise<vscode.CodeAction[]> {
    const uri = document.uri.toString();
    if (this.facts?.uri !== uri || this.facts.version !== document.version) this.facts = { uri, version: document.version, facts: scriptFacts(document.getText()) };
    const site = findModelSite(this.facts.facts, range.start.line);
    return site ? this.actions(document, this.facts.facts, site) : [];
  }

  /** Drops a closed document's tree. */
  forget(uri: string): void {
    void this.syntax?.then((s) => s.forget(uri), () => undefined);
  }

  dispose(): void {
    void this.syntax?.then((s) => s.dispose(), () => undefined);
  }

  private async actions(document: vscode.TextDocument, facts: ScriptFacts, site: ModelSite): Promise<vscode.CodeAction[]> {
    let syntax: CodeActionsCore.PythonSyntax;
    try {
      syntax = await (this.syntax ??= this.core().PythonSyntax.load(this.wasmDir));
    } catch (error) {
      // A broken install (a .wasm missing): said once, then no model actions rather than an error per cursor move.
      if (!this.loadFailed) this.log.error(`Code actions: the Python parser did not load: ${String(error)}`);
      this.loadFailed = true;
      return [];
    }
    const plan = this.plan(syntax, document, facts, site);
    if (!plan) return [];
    // A symbolic link where the serving app would go (a dangling one looks absent to VS Code's
    // createFile) would have the app written wherever it points: no serving app then.
    const app = servingApp(site.model, outputPath(plan.stem, 'serving-app'));
    const appUri = vscode.Uri.joinPath(document.uri, '..', app.fileName);
    const linked = document.uri.scheme === 'file' && lstatSync(appUri.fsPath, { throwIfNoEntry: false })?.isSymbolicLink() === true;
    return actionsFor(site).filter((action) => !(action === 'serving-app' && linked)).map((action) => {
      if (action === 'serving-app') {
        // A new file beside the script (never over an existing one), opened once made.
        const codeAction = new vscode.CodeAction(`ML Engineer: ${ACTION_TITLES[action]} (${site.model})`, ModelCodeActions.kind);
        codeAction.edit = new vscode.WorkspaceEdit();
        codeAction.edit.createFile(appUri, { ignoreIfExists: true, contents: new TextEncoder().encode(app.content) });
        codeAction.command = { command: 'vscode.open', title: 'Open', arguments: [appUri] };
        return codeAction;
      }
      return plan.sure ? insertAction(document, plan, action) : askAction(document, plan, action);
    });
  }

  /** The plan for a site, kept for the document version and line (the lightbulb asks again on each cursor move). */
  private plan(syntax: CodeActionsCore.PythonSyntax, document: vscode.TextDocument, facts: ScriptFacts, site: ModelSite): ModelCodePlan | undefined {
    const key = `${document.uri.toString()}#${document.version}:${site.line}`;
    if (this.lastPlan?.key === key) return this.lastPlan.plan;
    const started = performance.now();
    const tree = syntax.tree(document.uri.toString(), document.version, document.getText());
    const plan = tree ? this.core().planModelCode(tree.rootNode, facts.lines, site, scriptStem(document.uri)) : undefined;
    const took = `${(performance.now() - started).toFixed(1)} ms`;
    if (plan) this.log.debug(`Code actions: ${site.model} on line ${site.line + 1} of ${basename(document.uri.path)}: ${plan.reason} (${took})`);
    else this.log.info(`Code actions: ${basename(document.uri.path)} is too long to parse (${took}); no model actions on line ${site.line + 1}`);
    this.lastPlan = { key, plan };
    return plan;
  }
}

function scriptStem(uri: vscode.Uri): string {
  return uri.scheme === 'untitled' ? '' : basename(uri.path).replace(/\.pyw?$/i, '').replace(/[^\w.-]/g, '_');
}

/** The edit that inserts `text` before line `line` (after the last line: a file without a final newline gets one first). */
function insertion(document: vscode.TextDocument, line: number, text: string): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  if (line < document.lineCount) edit.insert(document.uri, new vscode.Position(line, 0), text);
  else edit.insert(document.uri, document.lineAt(document.lineCount - 1).range.end, `\n${text}`);
  return edit;
}

function insertAction(document: vscode.TextDocument, plan: ModelCodePlan, action: ModelAction): vscode.CodeAction {
  const place = plan.places[0]!;
  const codeAction = new vscode.CodeAction(`ML Engineer: ${ACTION_TITLES[action]} (${plan.site.model})`, ModelCodeActions.kind);
  codeAction.edit = insertion(document, place.line, snippetFor(plan, action, place));
  return codeAction;
}

/** What the ask command gets: the document as it was, and each place with its text to insert. */
interface AskRequest {
  readonly uri: string;
  readonly version: number;
  readonly title: string;
  readonly choices: readonly { readonly label: string; readonly description: string; readonly line: number; readonly text: string }[];
}

function askAction(document: vscode.TextDocument, plan: ModelCodePlan, action: ModelAction): vscode.CodeAction {
  const codeAction = new vscode.CodeAction(`ML Engineer: ${ACTION_TITLES[action]} (${plan.site.model})…`, ModelCodeActions.kind);
  const request: AskRequest = {
    uri: document.uri.toString(),
    version: document.version,
    title: `${ACTION_TITLES[action]}: after which line? (${plan.reason}; the code should follow its training)`,
    choices: plan.places.map((place) => ({
      label: `After line ${place.afterLine + 1}`,
      description: place.afterText,
      line: place.line,
      text: snippetFor(plan, action, place),
    })),
  };
  codeAction.command = { command: COMMANDS.insertModelCode, title: ACTION_TITLES[action], arguments: [request] };
  return codeAction;
}

function isAskRequest(value: unknown): value is AskRequest {
  const r = value as Partial<AskRequest> | undefined;
  return typeof r?.uri === 'string' && typeof r.version === 'number' && typeof r.title === 'string' && Array.isArray(r.choices);
}

/** Asks where the code goes (the places with their lines shown), then inserts it if the document is unchanged. */
async function askWhere(request: unknown): Promise<void> {
  if (!isAskRequest(request)) return;
  const picked = await vscode.window.showQuickPick(
    request.choices.map((c) => ({ ...c, label: `$(arrow-small-down) ${c.label}` })),
    { title: request.title, placeHolder: 'The statement the code goes after', matchOnDescription: true },
  );
  if (!picked) return;
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === request.uri);
  if (!document || document.version !== request.version) {
    await vscode.window.showWarningMessage(`${request.title.split(':')[0]}: the file changed meanwhile; run the action again.`);
    return;
  }
  await vscode.workspace.applyEdit(insertion(document, picked.line, picked.text));
}

/** Behind the provider activation registered for Python files, with ModelCodeActions.kind. */
export function registerModelCodeActions(host: FeatureHost): void {
  const { context, log } = host;
  // dist/lazy/codeActions.js and its .wasm files: loaded when the cursor first rests on a model's line.
  const core = lazyBundle<typeof CodeActionsCore>(context.extensionPath, 'codeActions');
  const provider = new ModelCodeActions(core, join(context.extensionPath, 'dist', 'lazy'), log);
  host.pythonCodeActions(provider);
  context.subscriptions.push(
    vscode.workspace.onDidCloseTextDocument((d) => core.peek() && provider.forget(d.uri.toString())),
    { dispose: () => provider.dispose() },
  );
  registerCommand(context, log, COMMANDS.insertModelCode, askWhere);
}
