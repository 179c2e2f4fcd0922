import { STORAGE_KEYS } from '../commandIds';
import { SecretBackedRecords, type RecordState, type TokenSecrets } from '../common/secretBackedRecords';
import type { TrackedProcess } from '../common/process';
import { healthStatus, LocalModelServer, type ServeOptions } from './localServer';

// Keep Running After Window Closes: a kept server is recorded in the workspace's state (where it
// listens, its pid), its token and load-test key only in the secret store (SecretBackedRecords, as
// kernel jobs are; one JSON secret, a plain one is an older record's token). A reload finds it again when its pid lives and /health answers on its port;
// a record whose server is gone is dropped. Free of VS Code: the integration test uses it as is.

export interface KeptServerRecord {
  readonly name: string;
  readonly appDir: string;
  readonly module: string;
  readonly python: string;
  readonly port: number;
  readonly pid: number;
  readonly startedAt: number;
  readonly logFile: string;
}

/** The kept servers (SecretBackedRecords, keyed by pid): restore() adopts those still running. */
export class KeptServers extends SecretBackedRecords<KeptServerRecord, Pick<KeptServerRecord, 'pid'>> {
  constructor(state: RecordState, secrets: TokenSecrets) {
    super(state, secrets, { stateKey: STORAGE_KEYS.kept, tokenKey: (r) => `${STORAGE_KEYS.kept}/${r.pid}`, same: (a, b) => a.pid === b.pid, isRecord });
  }

  /** Keeps a server's record, its token and load-test key in the secret store. */
  keep(record: KeptServerRecord, server: Pick<LocalModelServer, 'token' | 'loadTestKey'>): Promise<void> {
    return this.save(record, JSON.stringify({ token: server.token, ...(server.loadTestKey ? { loadTestKey: server.loadTestKey } : {}) }));
  }

  forget(pid: number): Promise<void> {
    return this.remove({ pid });
  }

  /** The kept servers still running, adopted; records of those gone (or without a token) are dropped. */
  async restore(): Promise<{ record: KeptServerRecord; server: LocalModelServer }[]> {
    const found: { record: KeptServerRecord; server: LocalModelServer }[] = [];
    for (const record of this.list()) {
      const { token, loadTestKey } = serverSecrets(await this.token(record));
      if (!token || !pidAlive(record.pid) || (await healthStatus(`http://127.0.0.1:${record.port}`)) !== 200) {
        await this.forget(record.pid);
        continue;
      }
      const options: ServeOptions = { python: record.python, appDir: record.appDir, module: record.module, port: record.port };
      const server = LocalModelServer.adopt(options, record.port, token, adoptedProcess(record.pid), loadTestKey);
      server.startedAt = record.startedAt;
      found.push({ record, server });
    }
    return found;
  }
}

/** The secret keep() stored, or an older record's plain token. */
function serverSecrets(stored: string | undefined): { token?: string; loadTestKey?: string } {
  if (!stored?.startsWith('{')) return { ...(stored ? { token: stored } : {}) };
  try {
    const s = JSON.parse(stored) as { token?: unknown; loadTestKey?: unknown };
    return { ...(typeof s.token === 'string' ? { token: s.token } : {}), ...(typeof s.loadTestKey === 'string' ? { loadTestKey: s.loadTestKey } : {}) };
  } catch {
    return {};
  }
}

function isRecord(value: unknown): value is KeptServerRecord {
  const r = value as Partial<KeptServerRecord> | null;
  return !!r && typeof r === 'object' && typeof r.name === 'string' && typeof r.appDir === 'string' && typeof r.module === 'string' && typeof r.python === 'string' && Number.isInteger(r.port) && Number.isInteger(r.pid) && (r.pid ?? 0) > 1 && typeof r.logFile === 'string' && typeof r.startedAt === 'number';
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process not our child (its window is gone): its end seen by polling, a stop that signals its group. */
export function adoptedProcess(pid: number): TrackedProcess {
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    timer = setInterval(() => {
      if (pidAlive(pid)) return;
      clearInterval(timer);
      resolve({ code: null, signal: null });
    }, 500);
    timer.unref();
  });
  const signal = (name: NodeJS.Signals): void => {
    for (const target of process.platform === 'win32' ? [pid] : [-pid, pid]) {
      try {
        process.kill(target, name);
        return;
      } catch {
        // The group is gone: the process itself next.
      }
    }
  };
  return {
    pid,
    exited,
    async stop(graceMs = 3000) {
      signal('SIGTERM');
      const kill = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(kill);
    },
  };
}
