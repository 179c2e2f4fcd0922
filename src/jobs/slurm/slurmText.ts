import type { JobInfo, PartitionInfo } from '../jobScheduler';
import type { NodeGres } from './slurmJson';
import { expandOutputPattern } from './outputPath';
import { gpuCount, gpuTypes, normalizeState, parseExitCode, parseMemoryMb, parseSlurmDuration, phaseOfState } from './slurmValues';

// The text forms: what Slurm before 21.08 (no --json) prints, and what every release prints for
// partitions (22.05's `sinfo --json` has no partition limits). Fields are split on the unit
// separator, which no job name or path holds; the job name comes last all the same, so a name
// with any character in it cannot shift the fields before it.

export const SEP = '\x1f';

/** squeue --Format fields, in the order jobsFromSqueueText reads them. */
export const SQUEUE_FIELDS = ['JobID', 'ArrayJobID', 'ArrayTaskID', 'UserName', 'State', 'Reason', 'Partition', 'NodeList', 'NumNodes', 'tres-per-node', 'SubmitTime', 'StartTime', 'EndTime', 'TimeLimit', 'WorkDir', 'STDOUT', 'STDERR', 'exit_code', 'Name'] as const;

/** `squeue --noheader --states=all --Format=...`: every field followed by the separator but the last. */
export function squeueFormatArg(): string {
  return SQUEUE_FIELDS.map((f, i) => `${f}:${i < SQUEUE_FIELDS.length - 1 ? SEP : ''}`).join(',');
}

const na = (s: string | undefined): string | undefined => (s === undefined || s === '' || s === 'N/A' || s === '(null)' || s === 'None' ? undefined : s);

/** "2026-12-05T16:45:38" (the cluster's local time, as Slurm writes it) in Unix seconds. */
export function slurmTimestamp(s: string | undefined): number | undefined {
  const t = na(s);
  if (!t || t === 'Unknown') return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** Jobs from squeue's text (squeueFormatArg). */
export function jobsFromSqueueText(text: string): JobInfo[] {
  const jobs: JobInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(SEP)) continue;
    const f = line.split(SEP);
    if (f.length < SQUEUE_FIELDS.length) continue;
    const [rawId, arrayJob, arrayTask, user, rawState, reason, partition, nodes, nodeCount, tres, submit, start, end, limit, workDir, stdout, stderr, exitStatus] = f.map((s) => s.trim());
    const name = f.slice(SQUEUE_FIELDS.length - 1).join(SEP).trimEnd();
    if (!rawId) continue;
    const state = normalizeState(rawState ?? 'UNKNOWN');
    const phase = phaseOfState(state);
    const task = na(arrayTask);
    const isArray = task !== undefined;
    // A pending array's rest is "4_[5-9]" in JobID and "5-9" in ArrayTaskID.
    const taskId = isArray ? (/^\d+$/.test(task) ? task : `[${task.replace(/^\[|\]$/g, '')}]`) : undefined;
    const numericId = rawId.split('_')[0]!;
    const limitSeconds = na(limit) && limit !== 'UNLIMITED' && limit !== 'INFINITE' ? parseSlurmDuration(limit!) : undefined;
    const status = Number(exitStatus);
    const values = { jobId: numericId, arrayJobId: isArray ? na(arrayJob) : undefined, arrayTaskId: taskId, name, user: na(user), workDir: na(workDir), firstNode: na(nodes)?.split(',')[0] };
    // squeue fills in the default file as slurm-<JobID>.out even for an array task, whose file is
    // slurm-<array>_<task>.out (seen on 22.05): the default is taken as the default pattern.
    const defaulted = (p: string | undefined): string | undefined => (isArray && p === `${na(workDir)?.replace(/\/+$/, '')}/slurm-${numericId}.out` ? undefined : p);
    const stdoutPath = expandOutputPattern(defaulted(na(stdout)), values);
    const stderrPath = expandOutputPattern(defaulted(na(stderr)), values);
    const count = Number(nodeCount);
    jobs.push({
      id: isArray ? `${arrayJob}_${taskId}` : rawId,
      ...(isArray ? { arrayJobId: arrayJob!, arrayTaskId: taskId! } : {}),
      name,
      ...(na(user) ? { user: user! } : {}),
      state,
      phase,
      ...(na(reason) ? { reason: reason! } : {}),
      ...(na(partition) ? { partition: partition! } : {}),
      ...(na(nodes) ? { nodes: nodes! } : {}),
      ...(Number.isFinite(count) && count > 0 ? { nodeCount: count } : {}),
      gpus: gpuCount(na(tres)) * (Number.isFinite(count) && count > 0 ? count : 1),
      ...(slurmTimestamp(submit) ? { submitTime: slurmTimestamp(submit)! } : {}),
      ...(slurmTimestamp(start) && phase !== 'pending' ? { startTime: slurmTimestamp(start)! } : {}),
      ...(slurmTimestamp(end) && phase === 'finished' ? { endTime: slurmTimestamp(end)! } : {}),
      ...(limitSeconds !== undefined ? { timeLimitSeconds: limitSeconds } : {}),
      ...(phase === 'finished' && Number.isInteger(status) ? exitFromStatus(status) : {}),
      ...(stdoutPath ? { stdoutPath, stderrPath: stderrPath ?? stdoutPath } : {}),
      ...(na(workDir) ? { workDir: workDir! } : {}),
    });
  }
  return jobs;
}

function exitFromStatus(status: number): { exitCode: number; exitSignal?: number } {
  const signal = status & 0x7f;
  return signal ? { exitCode: (status >> 8) & 0xff, exitSignal: signal } : { exitCode: (status >> 8) & 0xff };
}

/** sinfo's per-partition line: `sinfo --noheader --format=...` (every Slurm release). */
export const SINFO_PARTITION_FORMAT = ['%P', '%a', '%l', '%L', '%D', '%C', '%G', '%m'].join(SEP);

/** sinfo's per-node line, with GPUs in use (`--Node --Format`, every release since 17.02). */
export const SINFO_NODE_FIELDS = ['NodeHost', 'Partition', 'Gres', 'GresUsed', 'CPUsState', 'Memory', 'StateCompact'] as const;
export function sinfoNodeFormatArg(): string {
  return SINFO_NODE_FIELDS.map((f, i) => `${f}:${i < SINFO_NODE_FIELDS.length - 1 ? SEP : ''}`).join(',');
}

/** Nodes from sinfo --Node --Format (one line per node and partition, merged by node). */
export function nodesFromSinfoText(text: string): NodeGres[] {
  const byName = new Map<string, NodeGres>();
  for (const line of text.split('\n')) {
    const f = line.split(SEP).map((s) => s.trim());
    if (f.length < SINFO_NODE_FIELDS.length || !f[0]) continue;
    const [name, partition, gres, used, cpuState, memory, state] = f as [string, string, string, string, string, string, string];
    const [alloc, idle, , total] = cpuState.split('/').map(Number);
    const known = byName.get(name);
    const part = partition.replace(/\*$/, '');
    if (known) {
      byName.set(name, { ...known, partitions: [...known.partitions, part] });
      continue;
    }
    const mem = parseMemoryMb(memory);
    byName.set(name, {
      name,
      partitions: [part],
      gpusTotal: gpuCount(na(gres)),
      gpusUsed: gpuCount(na(used)),
      gpuTypes: gpuTypes(na(gres)),
      cpus: total ?? (alloc ?? 0) + (idle ?? 0),
      idleCpus: idle ?? 0,
      ...(mem !== undefined ? { memoryMb: mem } : {}),
      state: state.replace(/[*~#!%$@^-]+$/, ''),
    });
  }
  return [...byName.values()];
}

/** Partitions from SINFO_PARTITION_FORMAT lines, their GPUs summed from the nodes that belong to them. */
export function partitionsFromSinfoText(text: string, nodes: readonly NodeGres[]): PartitionInfo[] {
  const parts: PartitionInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(SEP).map((s) => s.trim());
    if (f.length < 8 || !f[0]) continue;
    const [rawName, avail, limit, defaultTime, nodeCount, cpuState] = f as [string, string, string, string, string, string];
    const name = rawName.replace(/\*$/, '');
    const members = nodes.filter((n) => n.partitions.includes(name));
    const [, idle, , total] = cpuState.split('/').map(Number);
    const usable = members.filter((n) => !/down|drain|fail|maint|unk/.test(n.state));
    const maxTime = limit === 'infinite' || limit === 'UNLIMITED' ? undefined : parseSlurmDuration(limit);
    const defTime = na(defaultTime) && defaultTime !== 'n/a' ? parseSlurmDuration(defaultTime) : undefined;
    const memories = members.map((n) => n.memoryMb ?? 0).filter((m) => m > 0);
    const fromLine = parseMemoryMb(f[7]?.replace(/\+$/, ''));
    const memoryMb = memories.length ? Math.max(...memories) : fromLine;
    parts.push({
      name,
      isDefault: rawName.endsWith('*'),
      state: avail.toUpperCase(),
      nodes: Number(nodeCount) || members.length,
      cpusTotal: total ?? 0,
      cpusIdle: idle ?? 0,
      gpusTotal: members.reduce((s, n) => s + n.gpusTotal, 0),
      gpusFree: usable.reduce((s, n) => s + Math.max(0, n.gpusTotal - n.gpusUsed), 0),
      gpuTypes: [...new Set(members.flatMap((n) => n.gpuTypes))],
      ...(maxTime !== undefined ? { maxTimeSeconds: maxTime } : {}),
      ...(defTime !== undefined ? { defaultTimeSeconds: defTime } : {}),
      ...(memoryMb !== undefined ? { memoryMbPerNode: memoryMb } : {}),
    });
  }
  return parts;
}

/** `scontrol show job ID` (key=value words, one job): what a job's record says once squeue has forgotten some of it. */
export function parseScontrolJob(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    // Values may hold spaces only in the last key of a line (Command=, WorkDir=, StdOut= sit alone).
    const trimmed = line.trim();
    if (/^(Command|WorkDir|StdErr|StdIn|StdOut|Comment|Reason)=/.test(trimmed)) {
      const eq = trimmed.indexOf('=');
      fields[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
      continue;
    }
    for (const m of trimmed.matchAll(/([A-Za-z/:_]+)=(\S*)/g)) fields[m[1]!] ??= m[2]!;
  }
  return fields;
}

/** A job from `scontrol show job` (the text path's one-job lookup). */
export function jobFromScontrol(text: string): JobInfo | undefined {
  const f = parseScontrolJob(text);
  const id = f['JobId'];
  if (!id) return undefined;
  const state = normalizeState(f['JobState'] ?? 'UNKNOWN');
  const phase = phaseOfState(state);
  const arrayJob = na(f['ArrayJobId']);
  const task = na(f['ArrayTaskId']);
  const taskId = task === undefined ? undefined : /^\d+$/.test(task) ? task : `[${task}]`;
  const limit = f['TimeLimit'];
  const limitSeconds = limit && limit !== 'UNLIMITED' ? parseSlurmDuration(limit) : undefined;
  const exit = phase === 'finished' ? parseExitCode(f['ExitCode']) : {};
  const nodes = na(f['NodeList']);
  const name = f['JobName'] ?? '';
  const user = f['UserId']?.replace(/\(.*$/, '');
  return {
    id: arrayJob && taskId ? `${arrayJob}_${taskId}` : id,
    ...(arrayJob && taskId ? { arrayJobId: arrayJob, arrayTaskId: taskId } : {}),
    name,
    ...(user ? { user } : {}),
    state,
    phase,
    ...(na(f['Reason']) ? { reason: f['Reason']! } : {}),
    ...(na(f['Partition']) ? { partition: f['Partition']! } : {}),
    ...(nodes ? { nodes } : {}),
    ...(Number(f['NumNodes']) > 0 ? { nodeCount: Number(f['NumNodes']) } : {}),
    gpus: gpuCount(f['AllocTRES'] ?? f['TRES']) || gpuCount(f['TresPerNode']),
    ...(slurmTimestamp(f['SubmitTime']) ? { submitTime: slurmTimestamp(f['SubmitTime'])! } : {}),
    ...(slurmTimestamp(f['StartTime']) && phase !== 'pending' ? { startTime: slurmTimestamp(f['StartTime'])! } : {}),
    ...(slurmTimestamp(f['EndTime']) && phase === 'finished' ? { endTime: slurmTimestamp(f['EndTime'])! } : {}),
    ...(limitSeconds !== undefined ? { timeLimitSeconds: limitSeconds } : {}),
    ...(exit.code !== undefined ? { exitCode: exit.code } : {}),
    ...(exit.signal !== undefined ? { exitSignal: exit.signal } : {}),
    ...(na(f['StdOut']) ? { stdoutPath: f['StdOut']!, stderrPath: na(f['StdErr']) ?? f['StdOut']! } : {}),
    ...(na(f['WorkDir']) ? { workDir: f['WorkDir']! } : {}),
  };
}

/** Finished jobs from `sacct --parsable2 --noheader --format=...` (accounting present). */
export const SACCT_FIELDS = ['JobID', 'JobName', 'User', 'State', 'Partition', 'NodeList', 'NNodes', 'AllocTRES', 'Submit', 'Start', 'End', 'TimelimitRaw', 'ExitCode', 'WorkDir'] as const;

export function jobsFromSacct(text: string): JobInfo[] {
  const jobs: JobInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('|');
    if (f.length < SACCT_FIELDS.length) continue;
    // A name with "|" in it: the fields after it are the last ones.
    const extra = f.length - SACCT_FIELDS.length;
    const id = f[0]!;
    const name = f.slice(1, 2 + extra).join('|');
    const [user, rawState, partition, nodes, nodeCount, tres, submit, start, end, limitMinutes, exitCode, workDir] = f.slice(2 + extra);
    if (!id || id.includes('.')) continue; // steps (123.batch, 123.0) belong to their job
    const state = normalizeState(rawState ?? 'UNKNOWN');
    const phase = phaseOfState(state);
    const m = /^(\d+)_(\d+|\[.*\])$/.exec(id);
    const exit = phase === 'finished' ? parseExitCode(exitCode) : {};
    const limit = Number(limitMinutes);
    jobs.push({
      id,
      ...(m ? { arrayJobId: m[1]!, arrayTaskId: m[2]! } : {}),
      name,
      ...(na(user) ? { user: user! } : {}),
      state,
      phase,
      ...(na(partition) ? { partition: partition! } : {}),
      ...(na(nodes) && nodes !== 'None assigned' ? { nodes: nodes! } : {}),
      ...(Number(nodeCount) > 0 ? { nodeCount: Number(nodeCount) } : {}),
      gpus: gpuCount(na(tres)),
      ...(slurmTimestamp(submit) ? { submitTime: slurmTimestamp(submit)! } : {}),
      ...(slurmTimestamp(start) ? { startTime: slurmTimestamp(start)! } : {}),
      ...(slurmTimestamp(end) ? { endTime: slurmTimestamp(end)! } : {}),
      ...(Number.isFinite(limit) && limitMinutes !== '' && limitMinutes !== 'Partition_Limit' ? { timeLimitSeconds: limit * 60 } : {}),
      ...(exit.code !== undefined ? { exitCode: exit.code } : {}),
      ...(exit.signal !== undefined ? { exitSignal: exit.signal } : {}),
      ...(na(workDir) ? { workDir: workDir! } : {}),
    });
  }
  return jobs;
}
