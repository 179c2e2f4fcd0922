import type { JobInfo, JobPhase } from './jobScheduler';

// The Jobs view's rows for one cluster: running first, then pending, then finished (newest first
// within each); the tasks of an array job under one row, placed by its liveliest task.

export type JobRow = { readonly kind: 'job'; readonly job: JobInfo } | { readonly kind: 'array'; readonly arrayJobId: string; readonly name: string; readonly phase: JobPhase; readonly tasks: readonly JobInfo[] };

const ORDER: Record<JobPhase, number> = { running: 0, pending: 1, finished: 2 };

export function jobRows(jobs: readonly JobInfo[]): JobRow[] {
  const arrays = new Map<string, JobInfo[]>();
  const rows: JobRow[] = [];
  for (const job of jobs) {
    if (job.arrayJobId === undefined) {
      rows.push({ kind: 'job', job });
      continue;
    }
    const tasks = arrays.get(job.arrayJobId);
    if (tasks) tasks.push(job);
    else arrays.set(job.arrayJobId, [job]);
  }
  for (const [arrayJobId, tasks] of arrays) {
    tasks.sort((a, b) => taskOrder(a) - taskOrder(b));
    const phase = tasks.reduce<JobPhase>((best, t) => (ORDER[t.phase] < ORDER[best] ? t.phase : best), 'finished');
    rows.push({ kind: 'array', arrayJobId, name: tasks[0]!.name, phase, tasks });
  }
  const submitted = (r: JobRow): number => (r.kind === 'job' ? (r.job.submitTime ?? 0) : Math.max(...r.tasks.map((t) => t.submitTime ?? 0)));
  const phase = (r: JobRow): JobPhase => (r.kind === 'job' ? r.job.phase : r.phase);
  return rows.sort((a, b) => ORDER[phase(a)] - ORDER[phase(b)] || submitted(b) - submitted(a));
}

/** Task 3 before 12; a pending rest ("[5-9]") after the numbered tasks. */
function taskOrder(job: JobInfo): number {
  const n = Number(job.arrayTaskId);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** "3 running, 1 pending, 2 finished" for an array row. */
export function taskCounts(tasks: readonly JobInfo[]): string {
  const count = { running: 0, pending: 0, finished: 0 };
  for (const t of tasks) count[t.phase] += 1;
  return (['running', 'pending', 'finished'] as const).filter((p) => count[p] > 0).map((p) => `${count[p]} ${p}`).join(', ');
}
