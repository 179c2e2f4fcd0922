import { UserError } from '../common/errors';
import type { JobScheduler } from './jobScheduler';
import { SlurmScheduler } from './slurm/slurmScheduler';
import type { CommandRunner } from './transport/commandRunner';
import { LocalRunner } from './transport/localRunner';

// The clusters of `mlEngineer.jobs.clusters` (and the CLI's --cluster): "local" (Slurm's commands
// on this machine) or an SSH host ("gpu-login" from ~/.ssh/config, user@host). One scheduler per
// cluster, made on first use and kept, so an SSH cluster keeps its one master connection.

export interface ClusterRef {
  /** "local", or the SSH host as written. */
  readonly id: string;
  /** undefined: this machine. */
  readonly sshHost?: string;
}

export const LOCAL_CLUSTER = 'local';

/** The clusters a setting names, in its order, without repeats; "local" when it names none. */
export function parseClusters(value: unknown): ClusterRef[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  const seen = new Set<string>();
  const refs: ClusterRef[] = [];
  for (const item of list) {
    const id = typeof item === 'string' ? item.trim() : typeof item === 'object' && item !== null && typeof (item as { host?: unknown }).host === 'string' ? (item as { host: string }).host.trim() : '';
    if (!id || seen.has(id)) continue;
    seen.add(id);
    refs.push(id === LOCAL_CLUSTER ? { id } : { id, sshHost: id });
  }
  return refs.length > 0 ? refs : [{ id: LOCAL_CLUSTER }];
}

/** Makes the runner of an SSH cluster (helper ssh's SshRunners.runnerFor once wired). */
export type SshRunnerFactory = (host: string) => CommandRunner;

export class JobClusters {
  private readonly schedulers = new Map<string, JobScheduler>();

  constructor(
    readonly refs: readonly ClusterRef[],
    private readonly sshRunner?: SshRunnerFactory,
  ) {}

  /** The cluster named (the first one when unnamed); an unknown name is a UserError listing the known ones. */
  ref(id?: string): ClusterRef {
    const ref = id === undefined || id === '' ? this.refs[0] : this.refs.find((r) => r.id === id);
    if (!ref) throw new UserError(`No cluster "${id}" in mlEngineer.jobs.clusters (${this.refs.map((r) => r.id).join(', ')}).`);
    return ref;
  }

  scheduler(id?: string): JobScheduler {
    const ref = this.ref(id);
    let scheduler = this.schedulers.get(ref.id);
    if (!scheduler) {
      scheduler = new SlurmScheduler(this.runnerOf(ref));
      this.schedulers.set(ref.id, scheduler);
    }
    return scheduler;
  }

  /** Where a cluster's commands run (an SSH cluster's is the one shared runner, so its forwards ride the scheduler's login). */
  runner(id?: string): CommandRunner {
    return this.runnerOf(this.ref(id));
  }

  private runnerOf(ref: ClusterRef): CommandRunner {
    if (ref.sshHost === undefined) return new LocalRunner();
    if (!this.sshRunner) throw new UserError(`The cluster ${ref.sshHost} is reached over SSH, which this build cannot do yet: open the window on the login node (Remote-SSH) and use "local".`);
    return this.sshRunner(ref.sshHost);
  }

  dispose(): void {
    for (const s of this.schedulers.values()) s.dispose();
    this.schedulers.clear();
  }
}
