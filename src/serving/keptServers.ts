import { STORAGE_KEYS } from '../commandIds';
import { SecretBackedRecords, type RecordState, type TokenSecrets } from '../common/secretBackedRecords';
import type { TrackedProcess } from '../common/process';
import type { ServedApp } from './agentServers';
import { healthStatus, LocalModelServer, type ServeOptions } from './localServer';

// Keep Running After Window Closes: a kept server is recorded in the workspace's state (where it
// listens, its pid), its token and load-test key only in the secret store (SecretBackedRecords, as
// kernel jobs are; one JSON secret, a plain one is an older record's token). A reload finds it again when its pid lives and /health answers on its port;
// a record whose server is gone is dropped. Free of VS Code: the integration test uses it as is.
// The record also holds the app's environment (the workspace modules approved with a pickle, as
// paths and sha256, nothing secret), so a restart runs the same approved files; older records have none.

export interface KeptServerRecord {
  readonly name: string;
  readonly appDir: string;
  readonly module: string;
  readonly python: string;
  readonly port: number;
  readonly pid: number;
  readonly startedAt: number;
  readonly logFile: string;
  /** What the app was started with (approvedModulesEnv); absent in records kept before it was stored. */
  readonly env?: Readonly<Record<string, string>>;
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

  /**
   * The kept servers still running, adopted; records of those gone are dropped. One still running
   * whose secret cannot be read (not in this machine's store, or not the JSON keep() writes) cannot
   * be called: its record is dropped too, and `problem` says which server it is and how to stop it.
   */
  async restore(problem: (message: string) => void = () => undefined): Promise<{ record: KeptServerRecord; server: LocalModelServer }[]> {
    const found: { record: KeptServerRecord; server: LocalModelServer }[] = [];
    for (const record of this.list()) {
      const secrets = serverSecrets(await this.token(record));
      if (!pidAlive(record.pid) || (await healthStatus(`http://127.0.0.1:${record.port}`)) !== 200) {
        await this.forget(record.pid);
        continue;
      }
      if (!secrets.token) {
        problem(`Kept model server ${record.name} (pid ${record.pid}, port ${record.port}) still runs, but its token ${secrets.unreadable ?? 'is not in this machine\'s secret store'}, so it cannot be called and is no longer listed. Stop it with \`${process.platform === 'win32' ? `taskkill /PID ${record.pid} /F` : `kill ${record.pid}`}\`, then serve it again.`);
        await this.forget(record.pid);
        continue;
      }
      const options: ServeOptions = { python: record.python, port: record.port, ...keptApp(record) };
      const server = LocalModelServer.adopt(options, record.port, secrets.token, adoptedProcess(record.pid), secrets.loadTestKey);
      server.startedAt = record.startedAt;
      found.push({ record, server });
    }
    return found;
  }
}

/**
 * The secret keep() stored (JSON), or an older record's plain token (kept before load-test keys: no
 * key). `unreadable`: why a JSON secret gave no token.
 */
export function serverSecrets(stored: string | undefined): { token?: string; loadTestKey?: string; unreadable?: string } {
  if (!stored?.startsWith('{')) return { ...(stored ? { token: stored } : {}) };
  let s: { token?: unknown; loadTestKey?: unknown };
  try {
    s = JSON.parse(stored) as { token?: unknown; loadTestKey?: unknown };
  } catch {
    // Not JSON.parse's message: V8 quotes the text, which holds the token.
    return { unreadable: 'could not be read from its stored secret (not valid JSON)' };
  }
  if (typeof s.token !== 'string' || !s.token) return { unreadable: 'is missing from its stored secret' };
  return { token: s.token, ...(typeof s.loadTestKey === 'string' ? { loadTestKey: s.loadTestKey } : {}) };
}

/** The app a kept server runs, with its approval: what Restart starts again. */
export function keptApp(record: KeptServerRecord): ServedApp {
  return { appDir: record.appDir, module: record.module, ...(record.env ? { env: record.env } : {}) };
}

function isRecord(value: unknown): value is KeptServerRecord {
  const r = value as Partial<KeptServerRecord> | null;
  return !!r && typeof r === 'object' && typeof r.name === 'string' && typeof r.appDir === 'string' && typeof r.module === 'string' && typeof r.python === 'string' && Number.isInteger(r.port) && Number.isInteger(r.pid) && (r.pid ?? 0) > 1 && typeof r.logFile === 'string' && typeof r.startedAt === 'number' && (r.env === undefined || isStringRecord(r.env));
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
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
