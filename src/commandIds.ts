/**
 * Every id VS Code, package.json or the user's stored data knows the extension by, declared once;
 * lint refuses a string starting with `mlEngineer.` anywhere else in src/ and media/.
 * package.json's `contributes.commands` must list exactly COMMANDS (a unit test checks both ways).
 */
/**
 * Every command's name by the feature that registers it (src/activation/featureTable.ts), or
 * `activation` for the few the activation layer handles; its id is `mlEngineer.<name>` (COMMANDS).
 * Grouped here so the activation bundle carries each name once (featureTable reads these lists).
 */
export const COMMANDS_BY_OWNER = {
  kernels: [
    'connectJupyterServer',
    'disconnectJupyterServer',
    'startLocalJupyterServer',
    'shutdownLocalJupyterServer',
    'refreshKernels',
    'interruptKernel',
    'restartKernel',
    'shutdownKernel',
    'previewVariable',
    'openVariableInDataViewer',
    'openNameInDataViewer',
  ],
  gpu: ['showGpuCharts'],
  tracking: [
    'refreshExperiments',
    'compareRuns',
    'openRunsTable',
    'showRunChart',
    'filterRuns',
    'clearRunFilter',
    'sortRuns',
    'revealRun',
    'copyRunId',
    'removeSource',
    'setMlflowToken',
    'openStudy',
    'showRunInTree',
    'chartModelVersions',
    'promoteVersion',
  ],
  models: [
    'inspectModel',
    'deployModel',
    'optimizeModel',
    'benchmarkModel',
    'exportModel',
    'showModelGraph',
    'insertModelCode',
  ],
  chat: ['openChat', 'setApiKey', 'clearApiKey', 'setOpenAiCompatibleApiKey', 'clearOpenAiCompatibleApiKey'],
  doctor: ['doctor'],
  data: ['openAsDataset', 'openFolderAsDataset'],
  jobs: [
    'refreshJobs',
    'submitToSlurm',
    'startSlurmKernel',
    'cancelJob',
    'holdJob',
    'releaseJob',
    'requeueJob',
    'openJobOutput',
    'openJobErrors',
    'openJobDir',
    'copyJobId',
    'watchJobGpus',
    'stopWatchingJob',
  ],
  serving: ['serveLocally', 'localServerActions', 'loadTestServer', 'stopLocalServers', 'detectDrift', 'compareModels'],
  modelCard: ['modelCard'],
  activation: ['showLog'],
} as const;
type CommandName = (typeof COMMANDS_BY_OWNER)[keyof typeof COMMANDS_BY_OWNER][number];
const COMMAND_NAMES: readonly CommandName[] = Object.values(COMMANDS_BY_OWNER).flat();

// Built from the names: the activation bundle carries each command's name once, not name and id.
export const COMMANDS = Object.fromEntries(COMMAND_NAMES.map((name) => [name, `mlEngineer.${name}`])) as { readonly [N in CommandName]: `mlEngineer.${N}` };

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const VIEWS = {
  container: 'mlEngineer',
  chat: 'mlEngineer.chat',
  experiments: 'mlEngineer.experiments',
  kernels: 'mlEngineer.kernels',
  gpus: 'mlEngineer.gpus',
  jobs: 'mlEngineer.jobs',
  deployments: 'mlEngineer.deployments',
} as const;

/** Custom editors and webview panels (`viewType`). */
export const VIEW_TYPES = {
  modelViewer: 'mlEngineer.modelViewer',
  gpuCharts: 'mlEngineer.gpuCharts',
  compareRuns: 'mlEngineer.compareRuns',
  runsTable: 'mlEngineer.runsTable',
  study: 'mlEngineer.studyView',
  modelGraph: 'mlEngineer.modelGraph',
  /** The Dataset viewer, default editor for binary data files (Parquet, Arrow, .csv.gz). */
  datasetViewer: 'mlEngineer.datasetViewer',
  /** The same viewer, offered ("Open as Dataset", Reopen With) for text data files (CSV, TSV, JSON Lines). */
  datasetTextViewer: 'mlEngineer.datasetTextViewer',
  /** A grid opened on a DatasetSource that is not a file editor (a kernel DataFrame). */
  datasetPanel: 'mlEngineer.datasetPanel',
  loadTest: 'mlEngineer.loadTest',
  /** A drift report (Compare Datasets for Drift…). */
  driftReport: 'mlEngineer.driftReport',
} as const;

/** Keys set with `setContext`, read by `when` clauses in package.json. */
export const CONTEXT_KEYS = {
  hasApiKey: 'mlEngineer.hasApiKey',
  hasRuns: 'mlEngineer.hasRuns',
  runsFiltered: 'mlEngineer.runsFiltered',
  /** Neither nvidia-smi nor rocm-smi could be run here: the GPUs view says so, with the setting. */
  gpuToolMissing: 'mlEngineer.gpuToolMissing',
} as const;

/** Tree items' `contextValue`, matched by `viewItem` in package.json's menus. */
export const TREE_ITEMS = {
  run: 'mlEngineer.run',
  runMetric: 'mlEngineer.runMetric',
  artifact: 'mlEngineer.artifact',
  artifactFolder: 'mlEngineer.artifactFolder',
  trackingSource: 'mlEngineer.trackingSource',
  // A folder added to the Experiments view from outside the workspace (a Slurm job's): it can be removed.
  trackingSourceAdded: 'mlEngineer.trackingSource.added',
  study: 'mlEngineer.study',
  registeredModel: 'mlEngineer.registeredModel',
  /** A Deployments row; followed by `.<state>`. */
  deployment: 'mlEngineer.deployment',
  kernel: 'mlEngineer.kernel',
  kernelBusy: 'mlEngineer.kernel.busy',
  /** A kernel variable with a shape (DataFrame, array, tensor): it opens a preview. */
  variable: 'mlEngineer.variable',
  /** A DataFrame or 1-D/2-D array: it also opens in the Data Viewer. */
  tableVariable: 'mlEngineer.variable.table',
  /** Followed by `.<local|remote>.<state>`. */
  server: 'mlEngineer.server',
  /** A Slurm job, by where it is (which actions apply); followed by `.watched` while its GPUs show in the GPUs view. */
  jobPending: 'mlEngineer.job.pending',
  jobHeld: 'mlEngineer.job.held',
  jobRunning: 'mlEngineer.job.running',
  jobFinished: 'mlEngineer.job.finished',
  /** An array job's row: its tasks under it; Cancel and Copy Job ID act on every task. */
  jobArray: 'mlEngineer.jobArray',
  /** A watched job's group in the GPUs view: Stop Watching removes it (a watched job's row in the Jobs view too). */
  watchedJob: 'mlEngineer.watchedJob',
} as const;

export const STATUS_BAR_ITEMS = {
  localServers: 'mlEngineer.localServers',
  gpu: 'mlEngineer.gpu',
  kernel: 'mlEngineer.kernelStatus',
} as const;

/** package.json `contributes.mcpServerDefinitionProviders`: our MCP server, offered to VS Code's chat (Copilot). */
export const MCP_PROVIDERS = {
  servers: 'mlEngineer.mcpServers',
} as const;

/** Settings sections and the ids shown to users (package.json `contributes.configuration`). */
export const SETTINGS = {
  gpu: 'mlEngineer.gpu',
  tracking: 'mlEngineer.tracking',
  pythonPath: 'mlEngineer.python.path',
  readers: 'mlEngineer.readers',
  servingPort: 'mlEngineer.serving.port',
  drift: 'mlEngineer.drift',
  jobClusters: 'mlEngineer.jobs.clusters',
  jobKernelPython: 'mlEngineer.jobs.kernelPython',
  data: 'mlEngineer.data',
} as const;

/** The @ml participant of VS Code's Chat view (package.json `contributes.chatParticipants`). */
export const CHAT_PARTICIPANT = 'mlEngineer.ml';

/** Where users' data is stored (secrets, global and workspace state): renaming one loses it. */
export const STORAGE_KEYS = {
  apiKey: 'mlEngineer.anthropic.apiKey',
  lastModel: 'mlEngineer.lastModel',
  /** The chat's provider as last picked (anthropic, openai-compatible, vscode-lm). */
  lastProvider: 'mlEngineer.lastProvider',
  /** Followed by the provider kind: the model last picked for an other provider than Anthropic. */
  lastModelOfPrefix: 'mlEngineer.lastModel.',
  openaiCompatibleApiKey: 'mlEngineer.openaiCompatible.apiKey',
  kernelBindings: 'mlEngineer.kernels.bindings',
  runningCell: 'mlEngineer.kernels.running',
  localServer: 'mlEngineer.jupyter.localServer',
  remoteServers: 'mlEngineer.jupyter.remotes',
  /** Followed by the server's id. */
  jupyterTokenPrefix: 'mlEngineer.jupyter.token.',
  /** Followed by the server's URL without trailing slashes. */
  mlflowTokenPrefix: 'mlEngineer.mlflowToken:',
  /** Workspace state: the kernel jobs on Slurm a window reconnects to (no tokens). */
  kernelJobs: 'mlEngineer.jobs.kernelJobs',
  /** Followed by cluster/jobId: a kernel job's server token (SecretStorage). */
  kernelJobTokenPrefix: 'mlEngineer.jobs.kernelToken/',
  /** Workspace state: model servers kept after their window closed; with "/<pid>", a kept server's token (SecretStorage). */
  kept: 'mlEngineer.kept',
} as const;

/**
 * The kind of our Python code actions on a model (a refactor.rewrite): the provider gives its
 * actions this kind and the lazy activation's stand-in declares it, before the feature loads.
 */
export const MODEL_CODE_ACTION_KIND = 'refactor.rewrite.mlEngineer';

/** Our notebook controllers' ids start with this (package.json: `notebookKernel =~ /^mlengineer\./i`). */
export const NOTEBOOK_CONTROLLER_PREFIX = 'mlEngineer.';

/** Jupyter comm targets our code registers in kernels. */
export const COMM_TARGETS = {
  gpu: 'mlEngineer.gpu',
} as const;

/** Storage keys only feature bundles read: apart from STORAGE_KEYS, which the activation bundle holds whole. */
export const FEATURE_STORAGE_KEYS = {
  /** Workspace state: the jobs a window watches (submitted from it), as {cluster, id}; their GPUs show in the GPUs view. */
  watchedJobs: 'mlEngineer.jobs.watched',
} as const;
