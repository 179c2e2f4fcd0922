/**
 * Every command the extension contributes, declared once. package.json's `contributes.commands`
 * must list exactly these (a unit test checks both ways).
 */
export const COMMANDS = {
  openChat: 'mlEngineer.openChat',
  setApiKey: 'mlEngineer.setApiKey',
  clearApiKey: 'mlEngineer.clearApiKey',
  doctor: 'mlEngineer.doctor',
  showLog: 'mlEngineer.showLog',
  connectJupyterServer: 'mlEngineer.connectJupyterServer',
  disconnectJupyterServer: 'mlEngineer.disconnectJupyterServer',
  startLocalJupyterServer: 'mlEngineer.startLocalJupyterServer',
  shutdownLocalJupyterServer: 'mlEngineer.shutdownLocalJupyterServer',
  refreshKernels: 'mlEngineer.refreshKernels',
  interruptKernel: 'mlEngineer.interruptKernel',
  restartKernel: 'mlEngineer.restartKernel',
  shutdownKernel: 'mlEngineer.shutdownKernel',
  showGpuCharts: 'mlEngineer.showGpuCharts',
  refreshExperiments: 'mlEngineer.refreshExperiments',
  compareRuns: 'mlEngineer.compareRuns',
  showRunChart: 'mlEngineer.showRunChart',
  filterRuns: 'mlEngineer.filterRuns',
  clearRunFilter: 'mlEngineer.clearRunFilter',
  sortRuns: 'mlEngineer.sortRuns',
  revealRun: 'mlEngineer.revealRun',
  copyRunId: 'mlEngineer.copyRunId',
  setMlflowToken: 'mlEngineer.setMlflowToken',
  inspectModel: 'mlEngineer.inspectModel',
  deployModel: 'mlEngineer.deployModel',
  optimizeModel: 'mlEngineer.optimizeModel',
  benchmarkModel: 'mlEngineer.benchmarkModel',
  exportModel: 'mlEngineer.exportModel',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const VIEWS = {
  container: 'mlEngineer',
  chat: 'mlEngineer.chat',
  experiments: 'mlEngineer.experiments',
  kernels: 'mlEngineer.kernels',
  gpus: 'mlEngineer.gpus',
} as const;

export const CONTEXT_KEYS = {
  hasApiKey: 'mlEngineer.hasApiKey',
} as const;
