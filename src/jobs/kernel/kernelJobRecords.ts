import { STORAGE_KEYS } from '../../commandIds';

// What a window remembers of its kernel jobs, so a reload (or the next window on this workspace)
// reconnects to a server whose job still runs: where it listens in the workspace's state, its token
// only in the secret store. Shapes of VS Code's Memento and SecretStorage, so this stays free of VS
// Code and the integration tests use it as the extension does.

export interface KernelJobRecord {
  /** The cluster as mlEngineer.jobs.clusters names it ("local", an SSH host). */
  readonly cluster: string;
  readonly jobId: string;
  /** The node and port the server listens on, as the cluster's side sees them. */
  readonly node: string;
  readonly remotePort: number;
  /** The loopback port its tunnel had (tried first again, so the URL stays); undefined: reached directly. */
  readonly localPort?: number;
}

/** VS Code's Memento (context.workspaceState), the part used. */
export interface RecordState {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void>;
}

/** VS Code's SecretStorage, the part used. */
export interface TokenSecrets {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
}

const KERNEL_JOBS_STATE_KEY = STORAGE_KEYS.kernelJobs;
const TOKEN_KEY_PREFIX = STORAGE_KEYS.kernelJobTokenPrefix;

export class KernelJobRecords {
  /** Saves run one after another, so two at once cannot drop each other's record. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: RecordState,
    private readonly secrets: TokenSecrets,
  ) {}

  /** The records kept (anything unreadable in the state is left out). */
  list(): KernelJobRecord[] {
    const value = this.state.get(KERNEL_JOBS_STATE_KEY);
    return Array.isArray(value) ? value.filter(isRecord) : [];
  }

  /** The record's token; undefined when the token is gone (another machine's secret store, or cleared). */
  async token(record: KernelJobRecord): Promise<string | undefined> {
    return this.secrets.get(tokenKey(record));
  }

  /** Keeps a running kernel job (replacing an older record of it). */
  save(record: KernelJobRecord, token: string): Promise<void> {
    return this.serial(async () => {
      await this.secrets.store(tokenKey(record), token);
      await this.state.update(KERNEL_JOBS_STATE_KEY, [...this.list().filter((r) => !same(r, record)), record]);
    });
  }

  /** Forgets a job (it ended, or was stopped): its record and its token. */
  remove(record: Pick<KernelJobRecord, 'cluster' | 'jobId'>): Promise<void> {
    return this.serial(async () => {
      await this.state.update(KERNEL_JOBS_STATE_KEY, this.list().filter((r) => !same(r, record)));
      await this.secrets.delete(tokenKey(record));
    });
  }

  private serial(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function tokenKey(record: Pick<KernelJobRecord, 'cluster' | 'jobId'>): string {
  return `${TOKEN_KEY_PREFIX}${record.cluster}/${record.jobId}`;
}

function same(a: Pick<KernelJobRecord, 'cluster' | 'jobId'>, b: Pick<KernelJobRecord, 'cluster' | 'jobId'>): boolean {
  return a.cluster === b.cluster && a.jobId === b.jobId;
}

const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536;

function isRecord(v: unknown): v is KernelJobRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.cluster === 'string' && r.cluster !== '' &&
    typeof r.jobId === 'string' && /^\d+$/.test(r.jobId) &&
    typeof r.node === 'string' && /^[A-Za-z0-9][\w.-]*$/.test(r.node) &&
    isPort(r.remotePort) &&
    (r.localPort === undefined || isPort(r.localPort)) &&
    // A token in the state would be a secret in clear: such a record is not one of ours.
    !('token' in r)
  );
}
