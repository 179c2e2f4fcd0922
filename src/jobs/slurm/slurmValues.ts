// Slurm's small value formats, shared by the JSON and the text readers: durations, GPU counts in
// GRES and TRES strings, exit codes.

/**
 * A Slurm duration in seconds: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS" (sbatch
 * --time's forms, and squeue's %l/%M); undefined for UNLIMITED/INFINITE/NOT_SET or text it is not.
 */
export function parseSlurmDuration(text: string): number | undefined {
  const t = text.trim();
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) return undefined;
  const [, days, a, b, c] = m;
  const n = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
  if (days !== undefined) {
    // D-HH, D-HH:MM, D-HH:MM:SS
    return n(days) * 86400 + n(a) * 3600 + n(b) * 60 + n(c);
  }
  if (c !== undefined) return n(a) * 3600 + n(b) * 60 + n(c);
  if (b !== undefined) return n(a) * 60 + n(b);
  return n(a) * 60;
}

/** Seconds as Slurm writes a duration: "45:07", "3:04:05", "2-03:04:05". */
export function formatSlurmDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (v: number): string => String(v).padStart(2, '0');
  if (days > 0) return `${days}-${two(h)}:${two(m)}:${two(sec)}`;
  if (h > 0) return `${h}:${two(m)}:${two(sec)}`;
  return `${m}:${two(sec)}`;
}

/** Is this a time sbatch --time accepts? (the form checks it before anything is submitted) */
export function isSlurmDuration(text: string): boolean {
  return parseSlurmDuration(text) !== undefined;
}

/**
 * GPUs in a TRES string ("cpu=4,mem=16G,node=1,billing=4,gres/gpu=2,gres/gpu:a100=2") or a GRES
 * one ("gpu:2", "gpu:a100:2(IDX:0-1)", "gres:gpu:2", "gres/gpu:a100:1,gres/shard:4"). A TRES string
 * names the total and each type; the total is taken, the types summed only without one.
 */
export function gpuCount(text: string | undefined): number {
  if (!text) return 0;
  const total = /(?:^|,)gres\/gpu=(\d+)/.exec(text);
  if (total) return Number(total[1]);
  let typed = 0;
  for (const m of text.matchAll(/(?:^|,)gres\/gpu:[^=,]+=(\d+)/g)) typed += Number(m[1]);
  if (typed > 0) return typed;
  let sum = 0;
  for (const m of text.matchAll(/(?:^|[,\s:/])gpu(?::([A-Za-z][\w.-]*))?:(\d+)/g)) sum += Number(m[2]);
  return sum;
}

/** GPU types a GRES string names ("gpu:a100:4,gpu:h100:2" gives a100, h100). */
export function gpuTypes(text: string | undefined): string[] {
  if (!text) return [];
  const types = new Set<string>();
  for (const m of text.matchAll(/(?:^|[,\s:/])gpu:([A-Za-z][\w.-]*):\d+/g)) types.add(m[1]!);
  return [...types];
}

/** "3:0" (exit code 3) or "0:15" (signal 15), as sacct and scontrol write ExitCode. */
export function parseExitCode(text: string | undefined): { code?: number; signal?: number } {
  const m = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  if (!m) return {};
  const code = Number(m[1]);
  const signal = Number(m[2]);
  return signal > 0 ? { code, signal } : { code };
}

/** Slurm's memory sizes ("4000", "16G", "512M", "2T") in MB. */
export function parseMemoryMb(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/i.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const factor = { '': 1, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * factor);
}

/** Slurm job states that mean the job is over. */
const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT', 'REVOKED']);
const PENDING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED', 'STOPPED']);

/** Where a Slurm state ("RUNNING", "CANCELLED by 0", "PD", "COMPLETING") puts the job. */
export function phaseOfState(state: string): 'pending' | 'running' | 'finished' {
  const word = state.trim().split(/\s+/)[0]!.toUpperCase().replace(/\+$/, '');
  const long = SHORT_STATES[word] ?? word;
  if (FINISHED.has(long)) return 'finished';
  if (PENDING.has(long)) return 'pending';
  return 'running';
}

/** squeue's compact state codes (%t), as the long names %T gives. */
const SHORT_STATES: Readonly<Record<string, string>> = {
  PD: 'PENDING', R: 'RUNNING', CG: 'COMPLETING', CD: 'COMPLETED', F: 'FAILED', CA: 'CANCELLED', TO: 'TIMEOUT',
  NF: 'NODE_FAIL', PR: 'PREEMPTED', OOM: 'OUT_OF_MEMORY', BF: 'BOOT_FAIL', DL: 'DEADLINE', S: 'SUSPENDED', ST: 'STOPPED', RQ: 'REQUEUED',
};

/** The state's long word: "CANCELLED by 0" gives CANCELLED, "PD" PENDING. */
export function normalizeState(state: string): string {
  const word = state.trim().split(/\s+/)[0]!.toUpperCase().replace(/\+$/, '');
  return SHORT_STATES[word] ?? word;
}
