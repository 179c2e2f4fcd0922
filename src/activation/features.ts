import vscode = require('vscode');
import type { ApiKeyStore } from '../agent/vscode/apiKeyStore';
import { MODEL_CODE_ACTION_KIND, VIEW_TYPES, VIEWS } from '../commandIds';
import { describeError } from '../common/errors';
import { FEATURE_LOG_PREFIX } from '../common/heavyModules';
import { lazyBundle } from '../common/lazyBundle';
import { reportError } from '../common/vscode/commandRegistry';
import type { FeatureApis, FeatureHost, FeatureModule } from './featureHost';
import { FEATURE_COMMANDS, FEATURE_NAMES, TREE_VIEWS, type FeatureName, type TreeViewId } from './featureTable';
import { registerLanguageModelStandIns } from './languageModelStandIns';
import { LazyCodeActionProvider, LazyCustomEditorProvider, LazyTreeDataProvider, LazyWebviewViewProvider } from './lazyProviders';

/**
 * The features as activation leaves them: every command, view and editor registered with a
 * stand-in, no feature code loaded. The first use of one loads its feature's bundle
 * (dist/features/<name>.js), which registers its real command handlers synchronously, as it
 * always has, and takes over the views made for it here. Features reach each other only
 * through this registry: "loaded? then ask it" (peek), or load it when it is needed (load).
 */
export class Features implements vscode.Disposable {
  private readonly apis = new Map<FeatureName, unknown>();
  private readonly failures = new Map<FeatureName, Error>();
  private readonly loading = new Set<FeatureName>();
  private readonly stubs = new Map<FeatureName, vscode.Disposable[]>();
  private readonly trees = new Map<TreeViewId, { view: vscode.TreeView<unknown>; provider: LazyTreeDataProvider<unknown> }>();
  private readonly chat = new LazyWebviewViewProvider(() => this.load('chat', 'the Chat view opened'));
  private readonly viewer = new LazyCustomEditorProvider(() => this.load('models', 'a model file opened'));
  private readonly datasets = new LazyCustomEditorProvider(() => this.load('data', 'a data file opened'));
  private readonly codeActions = new LazyCodeActionProvider(() => this.load('models', 'code actions asked for in a Python file'));
  private readonly loaded = new vscode.EventEmitter<FeatureName>();
  private readonly disposables: vscode.Disposable[] = [this.loaded];
  private readonly host: FeatureHost;
  private viewsRegistered = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    apiKeys: ApiKeyStore,
  ) {
    this.host = {
      context,
      log,
      apiKeys,
      treeView: <T>(id: TreeViewId, provider: vscode.TreeDataProvider<T>): vscode.TreeView<T> => {
        const tree = this.trees.get(id);
        if (!tree) throw new Error(`no tree view ${id} was made at activation`);
        tree.provider.attach(provider);
        return tree.view as vscode.TreeView<T>;
      },
      chatView: (provider) => this.chat.attach(provider),
      modelViewer: (provider) => this.viewer.attach(provider),
      datasetViewer: (provider) => this.datasets.attach(provider),
      pythonCodeActions: (provider) => this.codeActions.attach(provider),
      peek: <N extends FeatureName>(name: N) => this.apis.get(name) as FeatureApis[N] | undefined,
      load: (name, reason) => this.load(name, reason),
      whenLoaded: (name, listener) => this.whenLoaded(name, listener),
    };
  }

  /**
   * The stand-in commands, in activate(): a command run before its feature loads must find its
   * handler the moment activation has finished (VS Code runs it then, registered or not).
   */
  registerCommands(): void {
    for (const name of FEATURE_NAMES) this.registerStubs(name);
    this.disposables.push(...registerLanguageModelStandIns((reason) => this.load('chat', reason), this.context.extension));
  }

  /**
   * The tree views, the chat view, the model viewer and the code actions, in the task after
   * activate(): VS Code waits for a view's or an editor's provider to be registered (a tree
   * shows its progress meanwhile), so they need not hold activation up. A feature that loads
   * first (a command run in between) has them registered before it takes them over.
   */
  registerViews(): void {
    if (this.viewsRegistered) return;
    this.viewsRegistered = true;
    for (const { id, feature, options } of TREE_VIEWS) {
      const provider = new LazyTreeDataProvider<unknown>(() => this.load(feature, `the ${id} view is shown`));
      const view = vscode.window.createTreeView(id, { treeDataProvider: provider, ...options });
      this.trees.set(id, { view, provider });
      this.disposables.push(view, provider);
    }
    this.disposables.push(
      vscode.window.registerWebviewViewProvider(VIEWS.chat, this.chat, { webviewOptions: { retainContextWhenHidden: true } }),
      vscode.window.registerCustomEditorProvider(VIEW_TYPES.modelViewer, this.viewer, { supportsMultipleEditorsPerDocument: true }),
      vscode.window.registerCustomEditorProvider(VIEW_TYPES.datasetViewer, this.datasets, { supportsMultipleEditorsPerDocument: true }),
      vscode.window.registerCustomEditorProvider(VIEW_TYPES.datasetTextViewer, this.datasets, { supportsMultipleEditorsPerDocument: true }),
      vscode.languages.registerCodeActionsProvider({ language: 'python' }, this.codeActions, { providedCodeActionKinds: [vscode.CodeActionKind.Empty.append(MODEL_CODE_ACTION_KIND)] }),
    );
  }

  isLoaded(name: FeatureName): boolean {
    return this.apis.has(name);
  }

  /**
   * The feature's API, requiring its bundle and running its activateFeature() the first time.
   * Synchronous, so a stand-in can hand the request it got to the real provider at once.
   */
  load<N extends FeatureName>(name: N, reason: string): FeatureApis[N] {
    const api = this.apis.get(name);
    if (api) return api as FeatureApis[N];
    const failure = this.failures.get(name);
    if (failure) throw failure;
    if (this.loading.has(name)) throw new Error(`the ${name} feature asked for itself while loading`);
    this.registerViews();
    this.loading.add(name);
    const started = performance.now();
    // The feature registers its own handlers for these ids now.
    for (const stub of this.stubs.get(name) ?? []) stub.dispose();
    this.stubs.delete(name);
    try {
      const loaded = lazyBundle<FeatureModule<N>>(this.context.extensionPath, name, 'features')().activateFeature(this.host);
      this.apis.set(name, loaded);
      this.log.info(`${FEATURE_LOG_PREFIX}${JSON.stringify({ feature: name, load_ms: Math.round((performance.now() - started) * 1000) / 1000, reason })}`);
      this.loaded.fire(name);
      void this.checkCommands(name);
      return loaded;
    } catch (error) {
      // A fault of ours (a broken build): said on every later use instead of "command not found".
      const failed = new Error(`ML Engineer could not load its ${name} feature (${reason}): ${describeError(error)}`, { cause: error });
      this.failures.set(name, failed);
      this.log.error(failed.message);
      if (error instanceof Error && error.stack) this.log.debug(error.stack);
      this.registerStubs(name);
      throw failed;
    } finally {
      this.loading.delete(name);
    }
  }

  /** For loads nobody waits on (a notebook opened, the GPU status bar item): a failure is reported, not thrown. */
  loadInBackground(name: FeatureName, reason: string): void {
    if (this.apis.has(name)) return;
    try {
      this.load(name, reason);
    } catch (error) {
      void reportError(this.log, error, `loading ${name}`);
    }
  }

  private whenLoaded<N extends FeatureName>(name: N, listener: (api: FeatureApis[N]) => void): vscode.Disposable {
    const api = this.apis.get(name);
    if (api) {
      listener(api as FeatureApis[N]);
      return new vscode.Disposable(() => undefined);
    }
    const subscription = this.loaded.event((loaded) => {
      if (loaded !== name) return;
      subscription.dispose();
      listener(this.apis.get(name) as FeatureApis[N]);
    });
    return subscription;
  }

  /** A stand-in per command: its first call loads the feature, then runs the real command with the same arguments. */
  private registerStubs(name: FeatureName): void {
    const stubs: vscode.Disposable[] = [];
    for (const id of FEATURE_COMMANDS[name]) {
      try {
        stubs.push(vscode.commands.registerCommand(id, (...args: unknown[]) => this.runStub(name, id, args)));
      } catch {
        // Registered by the feature before its load failed.
      }
    }
    this.stubs.set(name, stubs);
  }

  private async runStub(name: FeatureName, id: string, args: unknown[]): Promise<unknown> {
    try {
      this.load(name, `command ${id}`);
    } catch (error) {
      await reportError(this.log, error, id);
      return undefined;
    }
    return vscode.commands.executeCommand(id, ...args);
  }

  /** The table in featureTable.ts against what the feature registered: a command it forgot would be lost. */
  private async checkCommands(name: FeatureName): Promise<void> {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = FEATURE_COMMANDS[name].filter((id) => !registered.has(id));
    if (missing.length > 0) this.log.error(`the ${name} feature did not register ${missing.join(', ')} (src/activation/featureTable.ts)`);
  }

  dispose(): void {
    for (const stubs of this.stubs.values()) for (const stub of stubs) stub.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
