import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { FeatureApis, FeatureHost, FeatureModule } from '../../activation/featureHost';
import { COMMANDS, CONTEXT_KEYS, SETTINGS, STORAGE_KEYS, VIEWS } from '../../commandIds';
import { lazyBundle } from '../../common/lazyBundle';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { readerLimits } from '../../common/vscode/readerLimits';
import type * as TrackingLazy from '../lazy/trackingReaders';
import { MlflowServer } from '../mlflowServer';
import { RunCatalog } from '../runCatalog';
import { parseRunQuery, RunQueryError } from '../runFilter';
import type { RunRecord, RunSource } from '../runModel';
import { owningSource } from '../sourceOwner';
import { trackingTools } from '../trackingTools';
import type { TrackingReaders } from '../workerSources';
import { ComparePanel } from './comparePanel';
import { ExperimentsTree, type ExperimentsNode } from './experimentsTree';
import { RunsTablePanel } from './runsTablePanel';
import { AddedRoots, AddedSource } from './addedRoots';
import { registerStudies } from '../../studies/vscode/studiesFeature';

// The Experiments view: finds runs in the workspace (and `mlEngineer.tracking.roots`), keeps them
// fresh with file watchers (a changed file re-reads its source only, debounced), and offers the
// compare panel and the agent's tools over the same catalog.

const RELOAD_DEBOUNCE_MS = 250;
const REDISCOVER_DEBOUNCE_MS = 1500;
const WATCH_GLOBS = ['**/mlruns/**', '**/mlflow.db', '**/mlflow.db-wal', '**/events.out.tfevents.*', '**/metrics.csv', '**/hparams.yaml', '**/wandb/*/*.wandb', '**/wandb/*/files/*.{json,yaml}'];
const FILTER_PROMPT = 'Words (in names, params, tags), comparisons on metrics and params (val_loss<0.4, min(val_loss)<=0.3, lr>=1e-3, model=mlp, val_loss=nan) and status:failed,running; all must hold';

export type TrackingFeature = FeatureApis['tracking'];

export function registerTracking(host: FeatureHost): TrackingFeature {
  const { context, log } = host;
  // dist/lazy/tracking.js, required on first use (never at activation), starts the readers'
  // worker threads (dist/workers/tracking.js): a huge or hostile file never blocks this thread.
  const bundle = lazyBundle<typeof TrackingLazy>(context.extensionPath, 'tracking');
  let readerPool: TrackingReaders | undefined;
  const readers = (): TrackingReaders => (readerPool ??= new (bundle().TrackingReaders)({ limits: readerLimits('tracking') }));
  const servers = (): string[] => (vscode.workspace.getConfiguration(SETTINGS.tracking).get<string[]>('mlflowServers') ?? []).filter((u) => /^https?:\/\//.test(u));
  const tokenKey = (url: string): string => `${STORAGE_KEYS.mlflowTokenPrefix}${url.replace(/\/+$/, '')}`;
  const catalog = new RunCatalog();
  const tree = new ExperimentsTree(catalog);
  const view = host.treeView(VIEWS.experiments, tree);
  const compare = new ComparePanel(context.extensionUri, catalog, log);
  context.subscriptions.push(catalog, tree, view, compare, { dispose: () => readerPool?.dispose() });

  const table = new RunsTablePanel(context.extensionUri, catalog, tree.filter, tree.metric, {
    setFilter: (text) => setFilter(text),
    reveal: (key) => revealInTree(key),
    compare: (keys) => compare.show(keys),
  }, log);
  context.subscriptions.push(table);

  /** Redraws what shows runs: the tree, its message row (the filter's counts or why it was refused) and the runs table. */
  const redraw = (): void => {
    tree.refresh();
    view.message = tree.filter.message(catalog.runs(), tree.metric);
    table.update();
  };
  /** min(val_loss) needs each run's whole curve where its listing has the last value only (MLflow files). */
  const completeRanges = async (): Promise<void> => {
    const keys = tree.filter.rangeMetrics();
    if (keys.length === 0) return;
    const left = await catalog.completeSummaries(catalog.runs(), keys);
    if (left > 0) log.warn(`experiments: min()/max() of ${keys.join(', ')} read for the first 2000 run metrics; ${left} more are judged by their listing`);
  };

  let discovered: Promise<void> | undefined;
  const pendingReloads = new Set<string>();
  let reloadTimer: NodeJS.Timeout | undefined;
  let rediscoverTimer: NodeJS.Timeout | undefined;
  // Folders other features add (a Slurm job's working folder): watched like the workspace.
  const added = new AddedRoots(WATCH_GLOBS, (uri) => onFileChange(uri), () => discovered && rediscover());
  context.subscriptions.push(added);

  const discover = async (): Promise<void> => {
    const started = Date.now();
    const sources: RunSource[] = [];
    const exclude = Object.entries(vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {})
      .filter(([, on]) => on === true)
      .map(([glob]) => glob.replace(/^\*\*\//, '**/'));
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const result = await readers().discover(folder.uri.fsPath, { exclude });
      if (result.truncated) log.warn(`experiments: discovery in ${folder.name} ${result.truncated}; add the folder to mlEngineer.tracking.roots to include more`);
      sources.push(...result.sources);
    }
    for (const root of vscode.workspace.getConfiguration(SETTINGS.tracking).get<string[]>('roots') ?? []) {
      const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
      const path = isAbsolute(root) ? root : join(base, root);
      try {
        sources.push(...(await readers().sourcesForPath(path)));
      } catch (error) {
        log.warn(`experiments: mlEngineer.tracking.roots: ${path}: ${(error as Error).message}`);
      }
    }
    const ids = new Set(sources.map((s) => s.id));
    const extra = await added.sources(async (folder) => (await readers().discover(folder, { exclude })).sources, (m) => log.warn(m));
    sources.push(...extra.filter((s) => !ids.has(s.id))); // a run in the workspace too is listed once, as the workspace's
    for (const url of servers()) sources.push(new MlflowServer(url, () => Promise.resolve(context.secrets.get(tokenKey(url)))));
    // One source per root even when a folder is found both ways.
    const unique = [...new Map(sources.map((s) => [s.id, s])).values()];
    catalog.setSources(unique);
    // A big mlruns/ shows its runs (names, status) first and their metrics when read.
    await catalog.loadAll(undefined, redraw);
    for (const entry of catalog.sources()) for (const p of entry.snapshot.problems) log.warn(`experiments: ${entry.source.label}: ${p}`);
    log.info(`experiments: ${unique.length} source(s), ${catalog.runs().length} run(s) in ${Date.now() - started} ms`);
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasRuns, catalog.runs().length > 0);
    await completeRanges();
    redraw();
  };
  const ensureDiscovered = (): Promise<void> => (discovered ??= discover().catch((error: unknown) => log.error(`experiments: ${(error as Error).message}`)));
  const rediscover = (): void => {
    clearTimeout(rediscoverTimer);
    rediscoverTimer = setTimeout(() => {
      discovered = discover().catch((error: unknown) => log.error(`experiments: ${(error as Error).message}`));
    }, REDISCOVER_DEBOUNCE_MS);
  };

  const onFileChange = (uri: vscode.Uri): void => {
    if (!discovered) return; // nothing shown yet: the first look reads everything anyway
    // By the platform's separator: with '/' every metric write on Windows looked like a new source.
    const owner = owningSource(uri.fsPath, catalog.sources().map((e) => e.source));
    if (!owner) {
      rediscover(); // a new mlruns/, wandb/ or log folder
      return;
    }
    pendingReloads.add(owner.id);
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      const ids = [...pendingReloads];
      pendingReloads.clear();
      void Promise.all(ids.map((id) => catalog.load(id))).then(async () => {
        await completeRanges();
        redraw();
        if (ids.some((id) => compare.shows(id))) void compare.update();
      });
    }, RELOAD_DEBOUNCE_MS);
  };
  for (const glob of WATCH_GLOBS) {
    const watcher = vscode.workspace.createFileSystemWatcher(glob);
    context.subscriptions.push(watcher, watcher.onDidChange(onFileChange), watcher.onDidCreate(onFileChange), watcher.onDidDelete(onFileChange));
  }
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (discovered && (e.affectsConfiguration(SETTINGS.tracking) || e.affectsConfiguration('files.exclude'))) rediscover();
      if (e.affectsConfiguration(SETTINGS.readers)) readerPool?.setLimits(readerLimits('tracking'));
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => discovered && rediscover()),
    { dispose: () => (clearTimeout(reloadTimer), clearTimeout(rediscoverTimer)) },
  );

  // Read runs the first time the view shows (not at activation: a big mlruns/ must not slow startup).
  if (view.visible) void ensureDiscovered();
  context.subscriptions.push(view.onDidChangeVisibility((e) => e.visible && void ensureDiscovered()));

  const updateDescription = (): void => {
    const parts = [tree.filter.text ? `“${tree.filter.text}”` : '', tree.sortMetric ? `by ${tree.sortMetric}` : ''].filter(Boolean);
    view.description = parts.join(' · ') || undefined;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.runsFiltered, parts.length > 0);
  };

  /** The filter the tree and the runs table share; returns why the text cannot be read (the filter in force stays). */
  const setFilter = async (text: string): Promise<string | undefined> => {
    const error = tree.filter.set(text);
    updateDescription();
    if (!error) await completeRanges();
    redraw();
    return error;
  };

  const revealInTree = async (key: string): Promise<void> => {
    const node = tree.runNode(key);
    if (!node) throw new Error('That run is no longer listed (its files changed, or the filter hides it).');
    await view.reveal(node, { select: true, focus: true, expand: false });
  };

  const selectedRuns = (node?: ExperimentsNode, nodes?: readonly ExperimentsNode[]): RunRecord[] => {
    const picked = (nodes && nodes.length > 0 ? nodes : node ? [node] : view.selection).filter((n): n is Extract<ExperimentsNode, { kind: 'run' }> => n.kind === 'run');
    return picked.map((n) => n.run);
  };

  // Optuna studies and each MLflow source's model registry, in the same tree.
  const studies = registerStudies({ context, log, runs: catalog, tree, view, redraw, revealRun: revealInTree, compare: (keys, metric, lines) => compare.show(keys, metric, lines), ensureRuns: ensureDiscovered });

  registerCommand(context, log, COMMANDS.refreshExperiments, async () => {
    discovered = discover();
    await discovered;
  });
  registerCommand(context, log, COMMANDS.compareRuns, async (node?: unknown, nodes?: unknown) => {
    await ensureDiscovered();
    let runs = selectedRuns(node as ExperimentsNode | undefined, nodes as readonly ExperimentsNode[] | undefined);
    if (runs.length === 0) {
      const picks = await vscode.window.showQuickPick(
        catalog.runs().map((run) => ({ label: run.name, description: `${run.experiment} · ${run.status}`, run })),
        { canPickMany: true, title: 'Compare Runs', placeHolder: 'Pick the runs to overlay' },
      );
      runs = picks?.map((p) => p.run) ?? [];
    }
    if (runs.length > 0) await compare.show(runs.map((r) => r.key));
  });
  registerCommand(context, log, COMMANDS.showRunChart, async (ref?: unknown, metric?: unknown) => {
    const key = typeof ref === 'string' ? ref : ref && typeof ref === 'object' && 'run' in ref ? (ref as { run: RunRecord }).run.key : undefined;
    if (key) await compare.show([key], typeof metric === 'string' ? metric : undefined);
  });
  registerCommand(context, log, COMMANDS.filterRuns, async () => {
    const text = await vscode.window.showInputBox({
      title: 'Filter Runs',
      prompt: FILTER_PROMPT,
      placeHolder: 'val_loss<0.4 model=mlp status:finished',
      value: tree.filter.text,
      // Text that cannot be read is said here, with its column, before it could hide every run.
      validateInput: (value) => {
        try {
          parseRunQuery(value);
          return undefined;
        } catch (error) {
          if (error instanceof RunQueryError) return { message: error.message, severity: vscode.InputBoxValidationSeverity.Error };
          throw error;
        }
      },
    });
    if (text === undefined) return;
    await ensureDiscovered();
    await setFilter(text);
  });
  registerCommand(context, log, COMMANDS.clearRunFilter, () => {
    tree.filter.set('');
    tree.sortMetric = undefined;
    updateDescription();
    redraw();
  });
  registerCommand(context, log, COMMANDS.openRunsTable, async () => {
    table.show();
    await ensureDiscovered();
    table.update();
  });
  registerCommand(context, log, COMMANDS.sortRuns, async () => {
    await ensureDiscovered();
    const keys = [...new Set(catalog.runs().flatMap((r) => r.metrics.map((m) => m.key)))].sort();
    const pick = await vscode.window.showQuickPick([{ label: 'Newest first', key: undefined as string | undefined }, ...keys.map((key) => ({ label: key, key }))], { title: 'Sort Runs by Metric (best first)' });
    if (!pick) return;
    tree.sortMetric = pick.key;
    updateDescription();
    redraw();
  });
  registerCommand(context, log, COMMANDS.setMlflowToken, async () => {
    const urls = servers();
    if (urls.length === 0) {
      void vscode.window.showInformationMessage('Add your MLflow tracking server URL to the mlEngineer.tracking.mlflowServers setting first.');
      return;
    }
    const url = urls.length === 1 ? urls[0] : await vscode.window.showQuickPick(urls, { title: 'MLflow server' });
    if (!url) return;
    const token = await vscode.window.showInputBox({ title: `Token for ${url}`, prompt: 'A bearer token, or user:password for MLflow basic auth. Kept in VS Code secret storage; empty removes it.', password: true, ignoreFocusOut: true });
    if (token === undefined) return;
    if (token === '') await context.secrets.delete(tokenKey(url));
    else await context.secrets.store(tokenKey(url), token);
    if (discovered) await catalog.load(`mlflow-server:${url.replace(/\/+$/, '')}`).then(redraw);
  });
  registerCommand(context, log, COMMANDS.revealRun, async (arg?: unknown) => {
    const node = arg as ExperimentsNode | undefined;
    if (node?.kind === 'run') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(node.run.location));
  });
  registerCommand(context, log, COMMANDS.removeSource, (arg?: unknown) => {
    const node = arg as ExperimentsNode | undefined;
    if (node?.kind === 'source' && node.entry.source instanceof AddedSource) added.remove(node.entry.source.addedRoot);
  });
  registerCommand(context, log, COMMANDS.copyRunId, async (arg?: unknown) => {
    const node = arg as ExperimentsNode | undefined;
    if (node?.kind === 'run') await vscode.env.clipboard.writeText(node.run.runId);
  });

  return {
    tools: () => [
      ...trackingTools(catalog, async (force) => {
        // A forced look reads the sources now, not after the watcher's debounce.
        if (force) discovered = discover().catch((error: unknown) => log.error(`experiments: ${(error as Error).message}`));
        await ensureDiscovered();
      }),
      ...studies.tools(),
    ],
    findLogs: async (folder) => (await readers().discover(folder)).sources.map((s) => ({ kind: s.kind, path: s.root })),
    addRoot: (folder, label) => added.add(folder, label),
  };
}

/** dist/features/tracking.js (src/activation/). */
export const activateFeature: FeatureModule<'tracking'>['activateFeature'] = registerTracking;
