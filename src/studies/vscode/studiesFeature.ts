import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { Tool } from '../../agent/tools/tool';
import { COMMANDS, SETTINGS } from '../../commandIds';
import { UserError } from '../../common/errors';
import { lazyBundle } from '../../common/lazyBundle';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { readerLimits } from '../../common/vscode/readerLimits';
import type { CompareLines } from '../../tracking/compareData';
import type { RunCatalog } from '../../tracking/runCatalog';
import type { ExperimentsTree } from '../../tracking/vscode/experimentsTree';
import { MlflowServer } from '../../tracking/mlflowServer';
import type { RegistrySnapshot } from '../../tracking/registry/registryModel';
import { readRegistryRest } from '../../tracking/registry/registryRest';
import type { RunSource } from '../../tracking/runModel';
import type { RegistryKind } from '../../tracking/registry/promotionPlan';
import { registryPromoteTools } from '../../tracking/registry/registryTools';
import { versionChart } from '../../tracking/registry/versionChart';
import { promoteVersion, writePromotion } from '../../tracking/vscode/registryCommands';
import { RegistryNodes } from '../../tracking/vscode/registryNodes';
import type * as StudiesLazy from '../lazy/studiesReaders';
import { StudyCatalog } from '../studyCatalog';
import type { StudyFile } from '../studyDiscovery';
import type { StudyReaders } from '../studyReaders';
import { studyTools } from '../studyTools';
import { StudiesTree } from './studiesTree';
import { StudyPanels } from './studyPanel';

// Optuna studies and the MLflow model registry in the Experiments view (owned by the tracking
// feature, which calls this): study files found in the workspace and `mlEngineer.tracking.studyPaths`,
// polled while the view or a study view shows them, the study views, the registry under each
// MLflow source, and their commands and agent tools. The readers load on first use only.

export interface StudiesDeps {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly runs: RunCatalog;
  readonly tree: ExperimentsTree;
  readonly view: vscode.TreeView<unknown>;
  /** Draws the tree again (its filter message, the runs table). */
  readonly redraw: () => void;
  readonly revealRun: (key: string) => Promise<void>;
  readonly compare: (keys: readonly string[], metric?: string, lines?: CompareLines) => Promise<void>;
  /** Runs are read (the view's first look). */
  readonly ensureRuns: () => Promise<void>;
}

const REDISCOVER_MS = 1500;

export function registerStudies(deps: StudiesDeps): { tools(): Tool[] } {
  const { context, log } = deps;
  const bundle = lazyBundle<typeof StudiesLazy>(context.extensionPath, 'studies');
  let pool: StudyReaders | undefined;
  const readers = (): StudyReaders => (pool ??= new (bundle().StudyReaders)({ limits: readerLimits('tracking') }));
  const catalog = new StudyCatalog({ read: (file, signal) => readers().read(file, signal) });
  const studiesTree = new StudiesTree(catalog, deps.runs);
  // A tracking server's registry is read here over REST (fetch never blocks); files in the worker.
  const readRegistry = (source: RunSource): Promise<RegistrySnapshot> =>
    source instanceof MlflowServer ? readRegistryRest(source) : readers().registry(source.root, source.kind as 'mlflow' | 'mlflow-sqlite');
  const registry = new RegistryNodes(deps.runs, () => readRegistry, () => deps.redraw());
  deps.tree.extensions.push(studiesTree, registry);
  const panels = new StudyPanels(context.extensionUri, catalog, () => studiesTree.runIndex(), deps.revealRun, log);
  context.subscriptions.push(panels, { dispose: () => (catalog.dispose(), pool?.dispose()) });

  const onChange = (): void => {
    deps.redraw();
    panels.update();
  };
  const syncPolling = (): void => {
    if (deps.view.visible || panels.open) catalog.startPolling(onChange);
    else catalog.stopPolling();
  };

  const discover = async (): Promise<void> => {
    const files = new Map<string, StudyFile>();
    const exclude = Object.entries(vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {})
      .filter(([, on]) => on === true)
      .map(([glob]) => glob.replace(/^\*\*\//, '**/'));
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const found = await readers().discover(folder.uri.fsPath, { exclude });
      if (found.truncated) log.warn(`studies: discovery in ${folder.name} ${found.truncated}; add study files to mlEngineer.tracking.studyPaths`);
      for (const f of found.found) files.set(f.path, f);
    }
    const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    for (const entry of vscode.workspace.getConfiguration(SETTINGS.tracking).get<string[]>('studyPaths') ?? []) {
      const path = isAbsolute(entry) ? entry : join(base, entry);
      const kind = await readers().kindOf(path);
      if (kind) files.set(path, { kind, path });
      else log.warn(`studies: mlEngineer.tracking.studyPaths: ${path} is not an Optuna SQLite storage or journal`);
    }
    await catalog.setFiles([...files.values()]);
    for (const f of catalog.files()) for (const p of f.problems) log.warn(`studies: ${f.path}: ${p}`);
    log.info(`studies: ${catalog.studies().length} stud(ies) in ${files.size} file(s)`);
    onChange();
  };
  let discovered: Promise<void> | undefined;
  const ensureDiscovered = (): Promise<void> => (discovered ??= discover().catch((error: unknown) => log.error(`studies: ${(error as Error).message}`)));
  let timer: NodeJS.Timeout | undefined;
  const rediscover = (): void => {
    if (!discovered) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      discovered = discover().catch((error: unknown) => log.error(`studies: ${(error as Error).message}`));
    }, REDISCOVER_MS);
  };
  // A new study file (or one removed): find the studies again. Changes to known files are polled.
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{db,sqlite,sqlite3,log}', false, true, false);
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate((uri) => !catalog.files().some((f) => f.path === uri.fsPath) && rediscover()),
    watcher.onDidDelete((uri) => catalog.files().some((f) => f.path === uri.fsPath) && rediscover()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SETTINGS.tracking}.studyPaths`) && rediscover()),
    { dispose: () => clearTimeout(timer) },
  );
  if (deps.view.visible) void ensureDiscovered().then(syncPolling);
  context.subscriptions.push(deps.view.onDidChangeVisibility(() => (deps.view.visible ? void ensureDiscovered().then(syncPolling) : syncPolling())));

  registerCommand(context, log, COMMANDS.openStudy, async (arg?: unknown) => {
    await ensureDiscovered();
    let key = typeof arg === 'string' ? arg : StudiesTree.studyKeyOf(arg);
    if (!key) {
      const studies = catalog.studies();
      if (studies.length === 0) {
        void vscode.window.showInformationMessage('No Optuna studies found in this workspace. Add a study file to the mlEngineer.tracking.studyPaths setting.');
        return;
      }
      key = studies.length === 1 ? studies[0]!.key : (await vscode.window.showQuickPick(studies.map((s) => ({ label: s.name, description: `${s.trials.length} trials`, key: s.key })), { title: 'Open Optuna Study' }))?.key;
    }
    if (!key) return;
    if (!catalog.findStudy(key)) throw new Error('That study is no longer in its file.');
    panels.show(key);
    syncPolling();
  });
  context.subscriptions.push(vscode.window.onDidChangeActiveColorTheme(() => panels.update()));
  registerCommand(context, log, COMMANDS.showRunInTree, async (key?: unknown) => {
    if (typeof key !== 'string') return;
    await deps.ensureRuns();
    await deps.revealRun(key);
  });
  registerCommand(context, log, COMMANDS.promoteVersion, (node?: unknown) => {
    const target = RegistryNodes.versionOf(node);
    if (!target) throw new UserError('Use Promote… on a model version under Models in the Experiments view.');
    return promoteVersion(target, deps.runs, log, () => registry.reread());
  });
  registerCommand(context, log, COMMANDS.chartModelVersions, async (node?: unknown) => {
    const model = RegistryNodes.modelOf(node);
    if (!model) return;
    const chart = versionChart(model, deps.runs.runs());
    if (chart.keys.length === 0) {
      void vscode.window.showInformationMessage(`None of the versions of ${model.name} has its run in the Experiments view.`);
      return;
    }
    const metric = chart.metrics.length <= 1 ? chart.metrics[0] : await vscode.window.showQuickPick([...chart.metrics], { title: `Metric across the versions of ${model.name}` });
    if (chart.metrics.length > 1 && !metric) return;
    if (chart.missing.length) log.info(`${model.name}: not charted, their run is not in the Experiments view: ${chart.missing.join(', ')}`);
    await deps.compare(chart.keys, metric, { labels: chart.labels, title: chart.title });
  });

  const registrySources = async (): Promise<RunSource[]> => {
    await deps.ensureRuns();
    return deps.runs.sources().map((e) => e.source).filter((source) => source.kind === 'mlflow' || source.kind === 'mlflow-sqlite' || source.kind === 'mlflow-server');
  };
  return {
    tools: () => [
      ...studyTools({
        studies: async () => {
          await ensureDiscovered();
          await catalog.poll();
          return catalog.files();
        },
        registries: async () => Promise.all((await registrySources()).map((source) => readRegistry(source))),
        runs: () => deps.runs.runs(),
      }),
      ...registryPromoteTools({
        registries: async () => Promise.all((await registrySources()).map(async (source) => ({ registry: await readRegistry(source), location: { kind: source.kind as RegistryKind, root: source.root } }))),
        runs: () => deps.runs.runs(),
        promote: async (location, name, version, promotion, signal) => {
          await writePromotion(location, deps.runs, log, name, version, promotion, signal);
          registry.reread();
        },
      }),
    ],
  };
}
