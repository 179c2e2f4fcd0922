import { STORAGE_KEYS } from '../../commandIds';
import { SecretBackedRecords, type RecordState, type TokenSecrets } from '../../common/secretBackedRecords';

// What a window remembers of its kernel jobs, so a reload (or the next window on this workspace)
// reconnects to a server whose job still runs: where it listens in the workspace's state, its token
// only in the secret store (SecretBackedRecords, as kept model servers are).

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

export type { RecordState, TokenSecrets } from '../../common/secretBackedRecords';

type JobKey = Pick<KernelJobRecord, 'cluster' | 'jobId'>;

/** The kernel jobs kept (SecretBackedRecords): token() reads a record's token, remove() forgets a job that ended or was stopped. */
export class KernelJobRecords extends SecretBackedRecords<KernelJobRecord, JobKey> {
  constructor(state: RecordState, secrets: TokenSecrets) {
    super(state, secrets, { stateKey: STORAGE_KEYS.kernelJobs, tokenKey, same, isRecord });
  }
}

function tokenKey(record: JobKey): string {
  return `${STORAGE_KEYS.kernelJobTokenPrefix}${record.cluster}/${record.jobId}`;
}

function same(a: JobKey, b: JobKey): boolean {
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
