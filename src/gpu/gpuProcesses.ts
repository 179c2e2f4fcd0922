import { readFileSync } from 'node:fs';
import { runProcess } from '../common/process';
import { formatGiB } from './gpuSample';

/** A process holding memory on a GPU (`nvidia-smi --query-compute-apps`). */
export interface GpuProcess {
  readonly gpuUuid: string;
  readonly pid: number;
  /** The executable path as nvidia-smi reports it; may contain commas and spaces. */
  readonly name: string;
  /** null where the driver does not say (Windows WDDM reports [N/A]). */
  readonly usedMemoryMiB: number | null;
}

/** process_name last: it is the only free-text field, so everything after the third comma is the name. */
export const COMPUTE_APPS_ARGS = ['--query-compute-apps=gpu_uuid,pid,used_gpu_memory,process_name', '--format=csv,nounits'];

/**
 * Parses `--query-compute-apps` CSV (with header; any field order, with or without units).
 * nvidia-smi never quotes fields, so a name with ", " in it splits into extra fields: they are
 * joined back into process_name, the one field that can hold them.
 */
export function parseComputeApps(text: string): GpuProcess[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (!header) return [];
  const names = header.split(', ').map((h) => h.replace(/\s*\[[^\]]*\]\s*$/, '').trim());
  const nameAt = names.indexOf('process_name');
  const out: GpuProcess[] = [];
  for (const line of lines) {
    let cells = line.split(', ');
    if (cells.length > names.length && nameAt >= 0) {
      const extra = cells.length - names.length;
      cells = [...cells.slice(0, nameAt), cells.slice(nameAt, nameAt + extra + 1).join(', '), ...cells.slice(nameAt + extra + 1)];
    }
    if (cells.length !== names.length) continue;
    const get = (field: string): string | undefined => cells[names.indexOf(field)]?.trim();
    const pid = Number(get('pid'));
    if (!Number.isInteger(pid)) continue;
    const memory = /^(\d+(?:\.\d+)?)/.exec(get('used_gpu_memory') ?? get('used_memory') ?? '');
    out.push({ gpuUuid: get('gpu_uuid') ?? '', pid, name: get('process_name') ?? '', usedMemoryMiB: memory ? Number(memory[1]) : null });
  }
  return out;
}

export type ProcessesResult = { readonly ok: true; readonly processes: readonly GpuProcess[] } | { readonly ok: false; readonly problem: string };

/** One on-demand query (not the sampler: processes change rarely and the query costs more). */
export async function queryGpuProcesses(command: string, signal?: AbortSignal): Promise<ProcessesResult> {
  const result = await runProcess(command, COMPUTE_APPS_ARGS, { timeoutMs: 10_000, ...(signal ? { signal } : {}) });
  if (result.kind === 'not-found') return { ok: false, problem: `${command} was not found` };
  if (result.kind !== 'exited') return { ok: false, problem: `${command} ${result.kind === 'timed-out' ? 'did not answer in time' : 'was cancelled'}` };
  if (result.code !== 0) return { ok: false, problem: `${command} exited with code ${result.code}: ${result.stdout.trim() || result.stderr.trim()}`.slice(0, 300) };
  return { ok: true, processes: parseComputeApps(result.stdout) };
}

/** Who a GPU process belongs to, by our kernels' pids: a kernel, or a child of one (DataLoader workers). */
export function ownerOf(pid: number, owners: ReadonlyMap<number, string>, parentOf: (pid: number) => number | undefined = linuxParent): string | undefined {
  let current: number | undefined = pid;
  for (let depth = 0; current !== undefined && current > 1 && depth < 8; depth++) {
    const owner = owners.get(current);
    if (owner) return depth === 0 ? owner : `${owner} (child process)`;
    current = parentOf(current);
  }
  return undefined;
}

/** The parent pid from /proc (Linux); undefined elsewhere or when the process is gone. */
export function linuxParent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** `12.1 GB: train.ipynb (pid 4242)` or `15.3 GB: ./gpu_burn (pid 11345)`. */
export function describeProcess(p: GpuProcess, owner: string | undefined): string {
  const memory = p.usedMemoryMiB === null ? 'memory n/a' : `${formatGiB(p.usedMemoryMiB)} GB`;
  return `${memory}: ${owner ?? p.name} (pid ${p.pid}${owner ? `, ${p.name}` : ''})`;
}
