import * as vscode from 'vscode';
import type { FeatureApis, FeatureHost } from '../../activation/featureHost';
import { COMMANDS, VIEWS } from '../../commandIds';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { readWatchedJobs } from '../../jobs/watchedJobs';
import { gpuStatusTool } from '../gpuStatusTool';
import { GpuMonitor } from './gpuMonitor';

/**
 * dist/features/gpu.js (src/activation/): the status bar item, the GPUs view, the charts and the
 * agent's gpu_status tool. The kernels are asked only once they are loaded: our local kernels
 * name GPU processes, and a notebook whose kernel runs on a remote server shows that machine's GPUs.
 */
export function activateFeature(host: FeatureHost): FeatureApis['gpu'] {
  const { context, log } = host;
  const gpus = new GpuMonitor(log, context.extensionUri, () => host.peek('kernels')?.owners() ?? new Map(), (provider) => host.treeView(VIEWS.gpus, provider));
  context.subscriptions.push(gpus);
  registerCommand(context, log, COMMANDS.showGpuCharts, () => gpus.showCharts());
  const syncRemoteGpus = (): void => gpus.setRemote(host.peek('kernels')?.activeRemote());
  context.subscriptions.push(
    vscode.window.onDidChangeActiveNotebookEditor(syncRemoteGpus),
    host.whenLoaded('kernels', (kernels) => context.subscriptions.push(kernels.onDidChange(syncRemoteGpus))),
    host.whenLoaded('jobs', (jobs) => context.subscriptions.push(gpus.setJobs(jobs.gpuWatch))),
  );
  // Jobs this window watches (submitted from it, perhaps before a reload) show their GPUs here: the
  // jobs feature is loaded for them only once this view shows, in a trusted workspace (it asks the
  // cluster: squeue, srun, perhaps over SSH), never at window start with the view hidden.
  let jobsAsked = false;
  const loadJobsIfShown = (): void => {
    if (jobsAsked || !gpus.visible || !vscode.workspace.isTrusted || readWatchedJobs(context.workspaceState).length === 0) return;
    jobsAsked = true;
    // After this event (not inside it): a jobs bundle that fails to load leaves the GPUs as they are.
    setTimeout(() => {
      try {
        host.load('jobs', 'watched Slurm jobs show their GPUs in the GPUs view');
      } catch {
        // The loader has logged why; the local GPUs still show.
      }
    }, 0);
  };
  context.subscriptions.push(gpus.onDidShow(loadJobsIfShown), vscode.workspace.onDidGrantWorkspaceTrust(loadJobsIfShown));
  loadJobsIfShown();
  return { tools: () => [gpuStatusTool(() => gpus.reading(), () => gpus.processLines())] };
}
