import * as vscode from 'vscode';
import type { FeatureHost, FeatureModule } from '../../activation/featureHost';
import { COMMANDS, SETTINGS, VIEWS } from '../../commandIds';
import { describeError, UserError } from '../../common/errors';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { isSchedulerError, type JobAction } from '../jobScheduler';
import { JobClusters, parseClusters } from '../jobClusters';
import { KernelJobRecords } from '../kernel/kernelJobRecords';
import { jobFolderAction, type JobFolderAction } from '../jobFolder';
import { jobTools } from '../jobTools';
import { JobGpuWatch } from '../jobGpuWatch';
import { watchedJobOf } from '../watchedJobs';
import { closeSshRunners, sshRunnerFactory } from '../sshRunnerFactory';
import { JobOutputDocuments, JOB_OUTPUT_SCHEME } from './jobOutputDocuments';
import { JobRunSources } from './jobRunSources';
import { jobOf, JobsTree, targetOf } from './jobsTree';
import { SlurmKernels } from './slurmKernels';
import { submitToSlurm } from './submitForm';

/** dist/features/jobs.js (src/activation/): the Jobs view, Submit to Slurm…, the job actions and the agent's job tools. */
export const activateFeature: FeatureModule<'jobs'>['activateFeature'] = (host: FeatureHost) => {
  const { context, log } = host;
  const ssh = sshRunnerFactory();
  const make = (): JobClusters => new JobClusters(parseClusters(vscode.workspace.isTrusted ? vscode.workspace.getConfiguration().get(SETTINGS.jobClusters) : undefined), ssh);
  let clusters = make();
  const current = (): JobClusters => clusters;
  // Jobs submitted from this window (or picked with Watch GPUs) are watched: their GPUs show in the GPUs view (src/gpu/vscode/), and
  // the list outlives a reload (workspaceState), each job's state read again from the scheduler.
  const watchChanged = new vscode.EventEmitter<void>();
  const watch = new JobGpuWatch({
    store: context.workspaceState,
    scheduler: (cluster) => clusters.scheduler(cluster),
    runner: (cluster) => clusters.runner(cluster),
    // An untrusted workspace's setting is not read: it names no cluster, and drops nothing.
    known: (cluster) => !vscode.workspace.isTrusted || clusters.refs.some((r) => r.id === cluster),
    failed: (error) => log.warn(`jobs: polling the watched jobs: ${describeError(error)}`),
    changed: (_groups, membership) => {
      watchChanged.fire();
      // Only the "· watched" mark depends on the watch: a new GPU sample must not redraw the Jobs
      // view (that re-samples its expanded jobs' GPUs, an srun each).
      if (membership) tree.redraw();
    },
  });
  // The GPUs view shows (wanted): polled then, and only once the workspace is trusted (no cluster call before).
  let watchWanted = false;
  let watchBackground = false;
  const setWatchWanted = (wanted: boolean, background = watchBackground): void => {
    watchWanted = wanted;
    watchBackground = background;
    watch.setWanted(wanted && vscode.workspace.isTrusted, background);
  };
  const watchJob = (cluster: string, jobId: string): void => {
    watch.watch({ cluster: clusters.ref(cluster || undefined).id, id: jobId }).catch((error: unknown) => log.warn(`jobs: watching ${jobId}: ${describeError(error)}`));
  };
  const tree = new JobsTree(current, log, (cluster, id) => watch.isWatched(cluster, id));
  const outputs = new JobOutputDocuments(current);
  const view = host.treeView(VIEWS.jobs, tree);
  const kernelJobs = new SlurmKernels(current, host, log, new KernelJobRecords(context.workspaceState, context.secrets));
  const runSources = new JobRunSources(host, current, log);
  tree.setVisible(view.visible);
  context.subscriptions.push(
    kernelJobs,
    runSources,
    // After each poll: a running job's tracking logs go to the Experiments view.
    tree.onDidChangeTreeData(() => {
      for (const ref of clusters.refs) {
        runSources.polled(ref.id, tree.jobsOf(ref.id));
        watch.polled(ref.id, tree.jobsOf(ref.id));
      }
    }),
    watch,
    watchChanged,
    tree,
    outputs,
    { dispose: () => void closeSshRunners() },
    vscode.workspace.registerTextDocumentContentProvider(JOB_OUTPUT_SCHEME, outputs),
    view.onDidChangeVisibility((e) => tree.setVisible(e.visible)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SETTINGS.jobClusters)) return;
      clusters.dispose();
      clusters = make();
      tree.reset(current);
      // A job on a cluster taken out of the setting leaves the GPUs view now, if it shows.
      setWatchWanted(watchWanted);
    }),
    { dispose: () => clusters.dispose() },
  );

  // Kernel jobs a reloaded (or earlier) window started come back now that the jobs feature is in use.
  // The watched jobs are read by the GPUs view when it shows (setWanted), not here.
  if (vscode.workspace.isTrusted) {
    void kernelJobs.restore();
  } else {
    context.subscriptions.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        // The clusters setting counts from now on (an untrusted workspace's is ignored).
        clusters.dispose();
        clusters = make();
        tree.reset(current);
        void kernelJobs.restore();
        setWatchWanted(watchWanted);
      }),
    );
  }

  registerCommand(context, log, COMMANDS.refreshJobs, () => tree.refresh());
  registerCommand(context, log, COMMANDS.submitToSlurm, async (arg?: unknown) => {
    const file = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!file || file.scheme !== 'file') throw new UserError('Submit to Slurm works on a .py or .sh file: right-click one in the Explorer.');
    const submitted = await submitToSlurm(file, clusters);
    if (!submitted) return;
    log.info(`jobs: submitted ${submitted.jobId} on ${submitted.cluster}`);
    watchJob(submitted.cluster, submitted.jobId);
    tree.refreshSoon();
    void vscode.commands.executeCommand(`${VIEWS.jobs}.focus`);
    void vscode.window.showInformationMessage(`Submitted job ${submitted.jobId}.`);
  });

  registerCommand(context, log, COMMANDS.startSlurmKernel, async () => {
    if (await kernelJobs.start()) tree.refreshSoon();
  });

  const act = (action: JobAction, verb: string, confirm: boolean) => async (node?: unknown) => {
    const target = targetOf(node);
    if (!target) return;
    if (confirm) {
      // "Cancel Job", not "Cancel": a modal dialog has its own Cancel button that means "do nothing".
      const button = `${verb} Job`;
      const ok = await vscode.window.showWarningMessage(`${verb} ${target.label}?`, { modal: true }, button);
      if (ok !== button) return;
    }
    try {
      await clusters.scheduler(target.cluster).act(action, target.id);
    } catch (error) {
      if (isSchedulerError(error)) throw new UserError(`${verb} ${target.id}: ${error.schedulerMessage}${error.hint ? `\n${error.hint}` : ''}`);
      throw error;
    }
    tree.refreshSoon();
    if (action === 'cancel') kernelJobs.checkSoon(target.cluster, target.id);
  };
  registerCommand(context, log, COMMANDS.cancelJob, act('cancel', 'Cancel', true));
  registerCommand(context, log, COMMANDS.holdJob, act('hold', 'Hold', false));
  registerCommand(context, log, COMMANDS.releaseJob, act('release', 'Release', false));
  registerCommand(context, log, COMMANDS.requeueJob, act('requeue', 'Requeue', true));

  const open = (stream: 'stdout' | 'stderr') => async (node?: unknown) => {
    const found = jobOf(node);
    if (!found) return;
    const path = stream === 'stdout' ? found.job.stdoutPath : found.job.stderrPath;
    if (!path) throw new UserError(`Job ${found.job.id} names no ${stream} file.`);
    if (found.job.phase === 'pending') throw new UserError(`Job ${found.job.id} has not started (${found.job.reason ?? 'pending'}): it has no output yet.`);
    const doc = await vscode.workspace.openTextDocument(JobOutputDocuments.uri(found.cluster, path));
    await vscode.window.showTextDocument(doc, { preview: false });
  };
  registerCommand(context, log, COMMANDS.openJobOutput, open('stdout'));
  registerCommand(context, log, COMMANDS.openJobErrors, open('stderr'));
  registerCommand(context, log, COMMANDS.openJobDir, async (node?: unknown) => {
    const found = jobOf(node);
    if (!found) return;
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    await openJobFolder(await jobFolderAction(clusters.ref(found.cluster), found.job, folders), found.job.id);
  });
  // Any job the Jobs view lists (one submitted from a terminal too) can be watched, as a submitted one is.
  registerCommand(context, log, COMMANDS.watchJobGpus, async (node?: unknown) => {
    const found = jobOf(node);
    if (!found || found.job.phase === 'finished') return;
    watchJob(found.cluster, found.job.id);
    await vscode.commands.executeCommand(`${VIEWS.gpus}.focus`);
  });
  registerCommand(context, log, COMMANDS.stopWatchingJob, async (node?: unknown) => {
    const job = watchedJobOf(node);
    if (job) await watch.unwatch(job);
  });
  registerCommand(context, log, COMMANDS.copyJobId, async (node?: unknown) => {
    const target = targetOf(node);
    if (target) await vscode.env.clipboard.writeText(target.id);
  });

  return {
    gpuWatch: { groups: () => watch.groups, onDidChange: watchChanged.event, setWanted: setWatchWanted },
    tools: () =>
      jobTools({
        clusters: current,
        changed: () => tree.refreshSoon(),
        submitted: watchJob,
        kernelJobs: kernelJobs.toolHost,
        findLogs: (folder) => host.load('tracking', 'job_status names a job\'s tracking logs').findLogs(folder),
      }),
  };
};

/** Does what jobFolderAction chose: reveal in the Explorer, open (a new window, or the OS's file manager, asked first), or copy the path with the reason. */
async function openJobFolder(action: JobFolderAction, jobId: string): Promise<void> {
  if (action.kind === 'none') throw new UserError(action.why);
  if (action.kind === 'copy') {
    const copy = 'Copy Path';
    if ((await vscode.window.showInformationMessage(`Job ${jobId}: ${action.why}`, copy)) === copy) await vscode.env.clipboard.writeText(action.dir);
    return;
  }
  const uri = vscode.Uri.file(action.dir);
  if (action.kind === 'reveal') {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return;
  }
  // The OS's file manager is the user's own machine's: in a remote window the folder is not there.
  const choices = vscode.env.remoteName ? ['Open in New Window', 'Copy Path'] : ['Open in New Window', 'Reveal in File Manager', 'Copy Path'];
  const pick = await vscode.window.showInformationMessage(`Job ${jobId} works in ${action.dir}, outside this workspace.`, ...choices);
  if (pick === 'Open in New Window') await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
  else if (pick === 'Reveal in File Manager') await vscode.commands.executeCommand('revealFileInOS', uri);
  else if (pick === 'Copy Path') await vscode.env.clipboard.writeText(action.dir);
}
