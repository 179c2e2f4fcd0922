import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { isSchedulerError, type PartitionInfo } from '../jobScheduler';
import type { JobClusters } from '../jobClusters';
import { formatSlurmDuration, isSlurmDuration } from '../slurm/slurmValues';
import { findVenv, planSubmission } from '../submitPlan';

// Submit to Slurm… on a .py/.sh: a short form filled from sinfo (cluster, partition with its free
// GPUs and limits, GPUs, time, memory), the batch script written beside the file and shown, then
// submitted once the user confirms. A file with #SBATCH lines is shown and submitted as it is.

export async function submitToSlurm(file: vscode.Uri, clusters: JobClusters): Promise<{ cluster: string; jobId: string } | undefined> {
  if (!vscode.workspace.isTrusted) throw new UserError('Submitting a job runs this workspace\'s code on the cluster: trust the workspace first.');
  const text = await readFile(file.fsPath, 'utf8');
  const cluster = await pickCluster(clusters, 'Submit to which cluster?');
  if (cluster === undefined) return undefined;
  const scheduler = clusters.scheduler(cluster);
  const root = vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath;
  let plan = planSubmission(file.fsPath, text, { gpus: 0 });
  if (!plan.asIs) {
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Reading the cluster\'s partitions…' }, () => scheduler.clusterInfo());
    const partition = await pickPartition(info.partitions);
    if (!partition) return undefined;
    const gpus = await pickGpus(partition);
    if (gpus === undefined) return undefined;
    const time = await vscode.window.showInputBox({
      title: `Time limit in ${partition.name}${partition.maxTimeSeconds !== undefined ? ` (at most ${formatSlurmDuration(partition.maxTimeSeconds)})` : ''}`,
      prompt: 'Minutes, HH:MM:SS or D-HH:MM:SS',
      value: formatSlurmDuration(partition.defaultTimeSeconds ?? 3600),
      validateInput: (v) => (isSlurmDuration(v) ? undefined : 'Minutes, HH:MM:SS or D-HH:MM:SS'),
    });
    if (time === undefined) return undefined;
    const memory = await vscode.window.showInputBox({
      title: `Memory per node${partition.memoryMbPerNode ? ` (nodes have ${Math.round(partition.memoryMbPerNode / 1024)} GB)` : ''}`,
      prompt: 'Empty: the partition\'s default. 16G, 4000M',
      value: '',
      validateInput: (v) => (v === '' || /^\d+[KMGT]?$/i.test(v) ? undefined : 'A size such as 16G or 4000M'),
    });
    if (memory === undefined) return undefined;
    plan = planSubmission(file.fsPath, text, { partition: partition.name, gpus, time, ...(memory ? { memory } : {}), environment: findVenv(file.fsPath, root) });
    await vscode.workspace.fs.writeFile(vscode.Uri.file(plan.scriptPath), Buffer.from(plan.script, 'utf8'));
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(plan.scriptPath));
  await vscode.window.showTextDocument(doc, { preview: false });
  const go = await vscode.window.showInformationMessage(
    plan.asIs ? `Submit ${vscode.workspace.asRelativePath(plan.scriptPath)} as it is (its own #SBATCH lines)?` : `Submit the batch script ${vscode.workspace.asRelativePath(plan.scriptPath)}? It is open: edit it first if you like.`,
    { modal: true },
    'Submit',
  );
  if (go !== 'Submit') return undefined;
  // What the editor shows (edits included) is what runs.
  const script = doc.getText();
  try {
    const jobId = await scheduler.submit({ script, cwd: plan.cwd });
    return { cluster, jobId };
  } catch (error) {
    if (isSchedulerError(error)) throw new UserError(`Slurm refused the job: ${error.schedulerMessage}${error.hint ? `\n${error.hint}` : ''}`);
    throw error;
  }
}

/** The cluster to use: the only one, or the one picked; undefined when the pick was dismissed. */
export async function pickCluster(clusters: JobClusters, title: string): Promise<string | undefined> {
  if (clusters.refs.length === 1) return clusters.refs[0]!.id;
  return (await vscode.window.showQuickPick(clusters.refs.map((r) => ({ label: r.id === 'local' ? 'This machine' : r.id, id: r.id })), { title }))?.id;
}

export async function pickPartition(partitions: readonly PartitionInfo[], title = 'Submit to Slurm: partition'): Promise<PartitionInfo | undefined> {
  if (partitions.length === 0) throw new UserError('sinfo lists no partition on this cluster.');
  const items = [...partitions]
    .sort((a, b) => Number(b.isDefault) - Number(a.isDefault))
    .map((p) => ({
      label: p.name,
      description: [p.isDefault ? 'default' : '', p.gpusTotal > 0 ? `${p.gpusFree}/${p.gpusTotal} GPUs free${p.gpuTypes.length ? ` (${p.gpuTypes.join(', ')})` : ''}` : 'no GPUs', p.maxTimeSeconds !== undefined ? `max ${formatSlurmDuration(p.maxTimeSeconds)}` : 'no time limit'].filter(Boolean).join(' · '),
      detail: `${p.state} · ${p.nodes} node(s) · ${p.cpusIdle}/${p.cpusTotal} CPUs idle`,
      partition: p,
    }));
  return (await vscode.window.showQuickPick(items, { title }))?.partition;
}

export async function pickGpus(p: PartitionInfo, several = 'torchrun, one process per GPU'): Promise<number | undefined> {
  if (p.gpusTotal === 0) return 0;
  const counts = [0, 1, 2, 4, 8].filter((n) => n <= p.gpusTotal);
  const items = counts.map((n) => ({ label: n === 0 ? 'No GPU' : `${n} GPU${n === 1 ? '' : 's'}`, description: n > 1 ? several : n > p.gpusFree ? 'waits for GPUs to free up' : '', n }));
  return (await vscode.window.showQuickPick(items, { title: `GPUs per node (${p.gpusFree} of ${p.gpusTotal} free now)` }))?.n;
}
