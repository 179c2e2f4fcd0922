import { COMMANDS, VIEWS, type CommandId } from '../commandIds';

// Which feature owns what package.json contributes. Activation registers a stand-in for each
// (src/activation/features.ts); the feature's bundle, dist/features/<name>.js, is loaded the first
// time one is used. test/unit/featureTable.test.ts checks every contributed command against it.

export const FEATURE_NAMES = ['kernels', 'gpu', 'tracking', 'models', 'chat', 'doctor', 'data', 'serving', 'modelCard', 'jobs'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The commands each feature registers when it loads. */
export const FEATURE_COMMANDS: { readonly [N in FeatureName]: readonly CommandId[] } = {
  kernels: [
    COMMANDS.connectJupyterServer,
    COMMANDS.disconnectJupyterServer,
    COMMANDS.startLocalJupyterServer,
    COMMANDS.shutdownLocalJupyterServer,
    COMMANDS.refreshKernels,
    COMMANDS.interruptKernel,
    COMMANDS.restartKernel,
    COMMANDS.shutdownKernel,
    COMMANDS.previewVariable,
    COMMANDS.openVariableInDataViewer,
    COMMANDS.openNameInDataViewer,
  ],
  gpu: [COMMANDS.showGpuCharts],
  tracking: [
    COMMANDS.refreshExperiments,
    COMMANDS.compareRuns,
    COMMANDS.openRunsTable,
    COMMANDS.showRunChart,
    COMMANDS.filterRuns,
    COMMANDS.clearRunFilter,
    COMMANDS.sortRuns,
    COMMANDS.revealRun,
    COMMANDS.copyRunId,
    COMMANDS.removeSource,
    COMMANDS.setMlflowToken,
    COMMANDS.openStudy,
    COMMANDS.showRunInTree,
    COMMANDS.chartModelVersions,
    COMMANDS.promoteVersion,
  ],
  models: [COMMANDS.inspectModel, COMMANDS.deployModel, COMMANDS.optimizeModel, COMMANDS.benchmarkModel, COMMANDS.exportModel, COMMANDS.showModelGraph, COMMANDS.insertModelCode],
  chat: [COMMANDS.openChat, COMMANDS.setApiKey, COMMANDS.clearApiKey, COMMANDS.setOpenAiCompatibleApiKey, COMMANDS.clearOpenAiCompatibleApiKey],
  doctor: [COMMANDS.doctor],
  data: [COMMANDS.openAsDataset],
  jobs: [COMMANDS.refreshJobs, COMMANDS.submitToSlurm, COMMANDS.startSlurmKernel, COMMANDS.cancelJob, COMMANDS.holdJob, COMMANDS.releaseJob, COMMANDS.requeueJob, COMMANDS.openJobOutput, COMMANDS.openJobErrors, COMMANDS.openJobDir, COMMANDS.copyJobId],
  serving: [COMMANDS.serveLocally, COMMANDS.localServerActions, COMMANDS.loadTestServer, COMMANDS.stopLocalServers, COMMANDS.detectDrift, COMMANDS.compareModels],
  modelCard: [COMMANDS.modelCard],
};

/** Commands the activation layer itself handles: they need no feature. */
export const ACTIVATION_COMMANDS: readonly CommandId[] = [COMMANDS.showLog];

/** Tree views, created at activation and drawn by their feature once it loads. */
export const TREE_VIEWS = [
  { id: VIEWS.kernels, feature: 'kernels', options: { showCollapseAll: true } },
  { id: VIEWS.experiments, feature: 'tracking', options: { showCollapseAll: true, canSelectMany: true } },
  { id: VIEWS.gpus, feature: 'gpu', options: {} },
  { id: VIEWS.jobs, feature: 'jobs', options: { showCollapseAll: true } },
  { id: VIEWS.deployments, feature: 'serving', options: {} },
] as const satisfies readonly { id: string; feature: FeatureName; options: { showCollapseAll?: boolean; canSelectMany?: boolean } }[];

export type TreeViewId = (typeof TREE_VIEWS)[number]['id'];

/** The notebooks our kernels serve: one open (or opening) loads the kernels feature. */
export const JUPYTER_NOTEBOOK_TYPE = 'jupyter-notebook';

/** The owner of a command: a feature, or the activation layer itself. */
export function commandOwner(id: string): FeatureName | 'activation' | undefined {
  if ((ACTIVATION_COMMANDS as readonly string[]).includes(id)) return 'activation';
  return FEATURE_NAMES.find((name) => (FEATURE_COMMANDS[name] as readonly string[]).includes(id));
}
