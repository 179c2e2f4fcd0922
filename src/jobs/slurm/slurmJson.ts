import type { JobInfo } from '../jobScheduler';
import { expandOutputPattern } from './outputPath';
import { gpuCount, gpuTypes, normalizeState, phaseOfState } from './slurmValues';

// `squeue --json` and `sinfo --json` (Slurm 21.08+). Their shapes changed between releases: 22.05
// (openapi v0.0.38, recorded in test/fixtures/slurm/) writes plain numbers and strings; 23.02+
// wraps numbers as {set, infinite, number}, states as arrays and exit codes as {return_code, signal}.
// Both are read; anything unexpected is skipped, never thrown at the view.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A number as either release writes it; undefined for "not set" and for "infinite". */
export function slurmNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (isObject(v)) {
    if (v['infinite'] === true || v['set'] === false) return undefined;
    return slurmNumber(v['number']);
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strOrList = (v: unknown): string | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').join(',') || undefined : str(v));
/** Unix seconds; 0 means "not yet" in every release. */
const time = (v: unknown): number | undefined => {
  const n = slurmNumber(v);
  return n !== undefined && n > 0 ? n : undefined;
};

/** The errors a Slurm JSON reply carries (a command can exit 0 with them). */
export function jsonErrors(doc: unknown): string[] {
  if (!isObject(doc) || !Array.isArray(doc['errors'])) return [];
  return doc['errors'].map((e) => (isObject(e) ? (str(e['description']) ?? str(e['error']) ?? JSON.stringify(e)) : JSON.stringify(e)));
}

/** The release that wrote a JSON reply ("22.05.8"). */
export function jsonVersion(doc: unknown): string | undefined {
  if (!isObject(doc) || !isObject(doc['meta'])) return undefined;
  const meta = doc['meta'];
  const slurm = isObject(meta['Slurm']) ? meta['Slurm'] : isObject(meta['slurm']) ? meta['slurm'] : undefined;
  return slurm ? str(slurm['release']) : undefined;
}

/** The script's exit code and the signal that ended it: a wait status in 22.05, an object later. */
function exitOf(v: unknown): { code?: number; signal?: number } {
  if (typeof v === 'number') {
    const signal = v & 0x7f;
    return signal ? { code: (v >> 8) & 0xff, signal } : { code: (v >> 8) & 0xff };
  }
  if (isObject(v)) {
    const code = slurmNumber(v['return_code']);
    const signal = isObject(v['signal']) ? slurmNumber(v['signal']['id'] ?? v['signal']['signal_id']) : undefined;
    return { ...(code !== undefined ? { code } : {}), ...(signal ? { signal } : {}) };
  }
  return {};
}

/** Jobs from `squeue --json`. */
export function jobsFromSqueueJson(doc: unknown): JobInfo[] {
  if (!isObject(doc) || !Array.isArray(doc['jobs'])) return [];
  const jobs: JobInfo[] = [];
  for (const j of doc['jobs']) {
    if (!isObject(j)) continue;
    const jobId = slurmNumber(j['job_id']);
    if (jobId === undefined) continue;
    const state = normalizeState(strOrList(j['job_state'])?.split(',')[0] ?? 'UNKNOWN');
    const phase = phaseOfState(state);
    const arrayJobId = slurmNumber(j['array_job_id']);
    const arrayTaskId = slurmNumber(j['array_task_id']);
    const taskString = str(j['array_task_string']);
    const isArray = arrayJobId !== undefined && arrayJobId > 0;
    // A pending array's rest is one record: array_task_string "5-9" (possibly "5-9%2").
    const taskId = isArray ? (arrayTaskId !== undefined ? String(arrayTaskId) : taskString ? `[${taskString}]` : undefined) : undefined;
    const id = isArray && taskId !== undefined ? `${arrayJobId}_${taskId}` : String(jobId);
    const limitMinutes = slurmNumber(j['time_limit']);
    const exit = phase === 'finished' ? exitOf(j['exit_code']) : {};
    const name = str(j['name']) ?? '';
    const user = str(j['user_name']);
    const workDir = str(j['current_working_directory']);
    const nodes = str(j['nodes']);
    const reason = str(j['state_reason']);
    const pattern = (key: string): string | undefined =>
      expandOutputPattern(str(j[key]), { jobId: String(jobId), arrayJobId: isArray ? String(arrayJobId) : undefined, arrayTaskId: arrayTaskId !== undefined ? String(arrayTaskId) : undefined, name, user, workDir, firstNode: nodes?.split(',')[0] });
    const stdoutPath = pattern('standard_output');
    const gpus = gpuCount(str(j['tres_alloc_str'])) || gpuCount(strOrList(j['tres_per_node'])) * Math.max(1, slurmNumber(j['node_count']) ?? 1) || gpuCount(str(j['tres_req_str'])) || gpuCount(strOrList(j['gres_detail']));
    jobs.push({
      id,
      ...(isArray ? { arrayJobId: String(arrayJobId) } : {}),
      ...(taskId !== undefined ? { arrayTaskId: taskId } : {}),
      name,
      ...(user ? { user } : {}),
      state,
      phase,
      ...(reason && reason !== 'None' ? { reason } : {}),
      ...(str(j['partition']) ? { partition: str(j['partition'])! } : {}),
      ...(nodes ? { nodes } : {}),
      ...(slurmNumber(j['node_count']) !== undefined ? { nodeCount: slurmNumber(j['node_count'])! } : {}),
      gpus,
      ...(time(j['submit_time']) ? { submitTime: time(j['submit_time'])! } : {}),
      ...(time(j['start_time']) && phase !== 'pending' ? { startTime: time(j['start_time'])! } : {}),
      ...(time(j['end_time']) && phase === 'finished' ? { endTime: time(j['end_time'])! } : {}),
      ...(limitMinutes !== undefined ? { timeLimitSeconds: limitMinutes * 60 } : {}),
      ...(exit.code !== undefined ? { exitCode: exit.code } : {}),
      ...(exit.signal !== undefined ? { exitSignal: exit.signal } : {}),
      // No --error: stderr goes to the --output file.
      ...(stdoutPath ? { stdoutPath, stderrPath: str(j['standard_error']) ? pattern('standard_error')! : stdoutPath } : {}),
      ...(workDir ? { workDir } : {}),
    });
  }
  return jobs;
}

export interface NodeGres {
  readonly name: string;
  readonly partitions: readonly string[];
  readonly gpusTotal: number;
  readonly gpusUsed: number;
  readonly gpuTypes: readonly string[];
  readonly cpus: number;
  readonly idleCpus: number;
  readonly memoryMb?: number;
  readonly state: string;
}

/** Nodes from `sinfo --json`: 22.05's `nodes` list, or 23.02+'s `sinfo` entries (one per partition and node set). */
export function nodesFromSinfoJson(doc: unknown): NodeGres[] {
  if (!isObject(doc)) return [];
  if (Array.isArray(doc['nodes'])) {
    return doc['nodes'].filter(isObject).map((n) => {
      const gres = str(n['gres']);
      const memory = slurmNumber(n['real_memory']);
      const cpus = slurmNumber(n['cpus']) ?? 0;
      return {
        name: str(n['name']) ?? str(n['hostname']) ?? '?',
        partitions: Array.isArray(n['partitions']) ? n['partitions'].filter((p): p is string => typeof p === 'string') : [],
        gpusTotal: gpuCount(gres),
        gpusUsed: gpuCount(str(n['gres_used'])),
        gpuTypes: gpuTypes(gres),
        cpus,
        idleCpus: slurmNumber(n['idle_cpus']) ?? Math.max(0, cpus - (slurmNumber(n['alloc_cpus']) ?? 0)),
        ...(memory !== undefined ? { memoryMb: memory } : {}),
        state: strOrList(n['state'])?.toLowerCase() ?? 'unknown',
      };
    });
  }
  if (Array.isArray(doc['sinfo'])) {
    return doc['sinfo'].filter(isObject).map((e, i) => {
      const gres = isObject(e['gres']) ? e['gres'] : {};
      const cpus = isObject(e['cpus']) ? e['cpus'] : {};
      const nodes = isObject(e['nodes']) ? e['nodes'] : {};
      const partition = isObject(e['partition']) ? str(e['partition']['name']) : undefined;
      const memory = isObject(e['memory']) ? slurmNumber(e['memory']['maximum']) : undefined;
      const names = Array.isArray(nodes['nodes']) ? nodes['nodes'].filter((x): x is string => typeof x === 'string') : [];
      return {
        name: names.join(',') || `set${i}`,
        partitions: partition ? [partition] : [],
        gpusTotal: gpuCount(str(gres['total'])),
        gpusUsed: gpuCount(str(gres['used'])),
        gpuTypes: gpuTypes(str(gres['total'])),
        cpus: slurmNumber(cpus['total']) ?? 0,
        idleCpus: slurmNumber(cpus['idle']) ?? 0,
        ...(memory !== undefined ? { memoryMb: memory } : {}),
        state: (isObject(e['node']) ? strOrList(e['node']['state']) : undefined)?.toLowerCase() ?? 'unknown',
      };
    });
  }
  return [];
}
