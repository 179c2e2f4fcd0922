import type { ClusterInfo, JobInfo } from './jobScheduler';
import { formatSlurmDuration } from './slurm/slurmValues';

// Jobs and clusters in words: the agent's tools, the CLI and the view's tooltips say the same.

/** "12:03 of 2:00:00", "4:10 (no limit)", or the wait so far for a pending job. */
export function elapsedText(job: JobInfo, nowSeconds: number): string {
  const limit = job.timeLimitSeconds !== undefined ? ` of ${formatSlurmDuration(job.timeLimitSeconds)}` : '';
  if (job.phase === 'pending') return `waiting ${formatSlurmDuration(nowSeconds - (job.submitTime ?? nowSeconds))}${limit ? `, limit ${formatSlurmDuration(job.timeLimitSeconds!)}` : ''}`;
  const start = job.startTime ?? nowSeconds;
  const end = job.phase === 'finished' ? (job.endTime ?? nowSeconds) : nowSeconds;
  return `${formatSlurmDuration(end - start)}${limit}`;
}

/** The state as a person reads it: "PENDING (Dependency)", "FAILED, exit code 3", "TIMEOUT, signal 15". */
export function stateText(job: JobInfo): string {
  if (job.phase === 'pending') return `${job.state}${job.reason ? ` (${job.reason})` : ''}`;
  if (job.phase === 'running') return job.state;
  const exit = job.exitSignal ? `signal ${job.exitSignal}` : job.exitCode !== undefined ? `exit code ${job.exitCode}` : undefined;
  return `${job.state}${exit ? `, ${exit}` : ''}`;
}

export function jobLine(job: JobInfo, nowSeconds: number): string {
  const gpus = job.gpus > 0 ? `, ${job.gpus} GPU${job.gpus === 1 ? '' : 's'}` : '';
  const where = job.nodes ? ` on ${job.nodes}` : job.partition ? ` in ${job.partition}` : '';
  return `${job.id} ${job.name}: ${stateText(job)}, ${elapsedText(job, nowSeconds)}${where}${gpus}`;
}

export function jobsText(jobs: readonly JobInfo[], nowSeconds: number): string {
  if (jobs.length === 0) return 'No jobs.';
  const order = { running: 0, pending: 1, finished: 2 } as const;
  const sorted = [...jobs].sort((a, b) => order[a.phase] - order[b.phase] || (b.submitTime ?? 0) - (a.submitTime ?? 0));
  return sorted.map((j) => jobLine(j, nowSeconds)).join('\n');
}

export function jobDetailText(job: JobInfo, nowSeconds: number): string {
  const rows: [string, string | undefined][] = [
    ['job', `${job.id} ${job.name}`],
    ['state', stateText(job)],
    ['time', elapsedText(job, nowSeconds)],
    ['partition', job.partition],
    ['nodes', job.nodes ? `${job.nodes}${job.nodeCount ? ` (${job.nodeCount})` : ''}` : undefined],
    ['GPUs', String(job.gpus)],
    ['user', job.user],
    ['stdout', job.stdoutPath],
    ['stderr', job.stderrPath !== job.stdoutPath ? job.stderrPath : undefined],
    ['working folder', job.workDir],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '').map(([k, v]) => `${k}: ${v}`).join('\n');
}

export function clusterText(label: string, info: ClusterInfo): string {
  const lines = [`Cluster ${label}${info.version ? ` (Slurm ${info.version})` : ''}:`];
  for (const p of info.partitions) {
    const gpus = p.gpusTotal > 0 ? `${p.gpusFree}/${p.gpusTotal} GPUs free${p.gpuTypes.length ? ` (${p.gpuTypes.join(', ')})` : ''}` : 'no GPUs';
    const time = p.maxTimeSeconds !== undefined ? `max time ${formatSlurmDuration(p.maxTimeSeconds)}` : 'no time limit';
    const def = p.defaultTimeSeconds !== undefined ? `, default ${formatSlurmDuration(p.defaultTimeSeconds)}` : '';
    const mem = p.memoryMbPerNode !== undefined ? `, ${Math.round(p.memoryMbPerNode / 1024)} GB memory per node` : '';
    lines.push(`- ${p.name}${p.isDefault ? ' (default)' : ''}: ${p.state}, ${p.nodes} node${p.nodes === 1 ? '' : 's'}, ${p.cpusIdle}/${p.cpusTotal} CPUs idle, ${gpus}, ${time}${def}${mem}`);
  }
  return lines.join('\n');
}
