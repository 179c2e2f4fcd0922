// The host's side of the data engine: starts engineProcess.ts as a child process on first use (the
// editor's own Node: VS Code's Electron binary with ELECTRON_RUN_AS_NODE, so it works in VS Code,
// code-server and the CLI alike), sends it queries, and keeps the host safe from it: a cancelled
// query is interrupted in DuckDB and, if it does not stop within a grace period, the process is
// killed; a query over its time limit is stopped the same way (the process and every other
// source's tables survive unless it ignores the interrupt); a crash rejects what was pending and
// the next query starts a fresh process. Nothing the engine holds is the only copy of anything.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../common/errors';
import type { Cell } from '../datasetSource';
import { removeSpillFolder, sweepSpillFolders } from './spillFolders';
import { ENGINE_SETUP_VAR, type EngineColumn, type EngineParam, type EngineSetup, type FromEngine, type QueryRequest, type TablePrep } from './protocol';

export interface EngineOptions {
  /** DuckDB's memory_limit; beyond it, joins, sorts and tables spill to tempDir. Default 1024. */
  readonly memoryLimitMb?: number;
  /**
   * DuckDB's threads. Default: every core, at most 8. The engine's process runs below normal
   * priority (engineProcess.ts), so the editor, the extension host and a kernel are served first:
   * measured on 2 cores, a profile took 4.6 s instead of 7.7 s on one thread, and a busy
   * editor-like process's frames were no later at the 95th percentile (0.1 ms against 0.2 ms).
   */
  readonly threads?: number;
  readonly tempDir?: string;
  /** Spill at most this much to tempDir (DuckDB's max_temp_directory_size): default half the free space there, at most 64 GB. */
  readonly spillLimitMb?: number;
  /** The same for the confined databases that run the agent's and the CLI's SQL. Default 2048. */
  readonly confinedSpillLimitMb?: number;
  /**
   * The child's resident memory at most: past it the process is killed and its queries fail with
   * a clear error (DuckDB's memory_limit does not bound one huge value). Default: twice
   * memoryLimitMb plus 128 MB: Node and the engine's own code, and what DuckDB and its allocator
   * hold outside the buffer manager, which grows with the work. At 1.5x + 160 a 1 GB CSV's table,
   * its sorted view and a comparison (the Dataset viewer's own e2e) were killed at 1699 MB of 1696;
   * a small engine's cap stays where it was (256 MB at 64: dataAttack's huge value).
   */
  readonly rssCapMb?: number;
  /** How long one query may run before it is interrupted (and the process killed if it does not stop). Default 10 minutes. */
  readonly queryTimeMs?: number;
  /** How long a query over its time may take to stop once interrupted before the process is killed. Default 5 s. */
  readonly overrunGraceMs?: number;
  /** How long a cancelled query may take to stop before the process is killed. Default 2 s. */
  readonly cancelGraceMs?: number;
  /** The child's script; default: dist/engine/dataEngine.js from a bundle, engineProcess.ts from source. */
  readonly script?: string;
}

export interface QueryResult {
  readonly columns: readonly EngineColumn[];
  readonly rows: readonly (readonly Cell[])[];
  readonly truncated: boolean;
}

export interface QueryOptions {
  readonly params?: readonly EngineParam[];
  /** Rows returned at most (default 10 000). */
  readonly maxRows?: number;
  readonly prepare?: readonly TablePrep[];
  readonly confinedTo?: readonly string[];
  /** With confinedTo (the agent's query): a file with other hard links is refused. */
  readonly oneLinkOnly?: boolean;
  readonly timeMs?: number;
}

/** DuckDB refused or failed a query; `message` is DuckDB's own text. Callers say which file it was. */
export class EngineQueryError extends Error {
  override readonly name = 'EngineQueryError';
}

/** The engine process stopped (crashed, ran out of memory, was killed for overrunning). */
export class EngineStopped extends UserError {}

/** A query ran past its time limit and was interrupted; the engine and its tables are as they were. */
export class QueryOverrun extends UserError {}

interface Pending {
  readonly resolve: (result: QueryResult) => void;
  readonly reject: (error: unknown) => void;
  readonly timers: NodeJS.Timeout[];
  /** The process it was sent to: a process that stops rejects its own queries, not a newer one's. */
  readonly live?: Live;
}

interface Live {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  stderr: string;
  killedFor?: string;
}

export class DataEngine {
  private live: Live | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private waiting = 0;

  constructor(private options: EngineOptions = {}) {}

  /**
   * New options for the next start (the mlEngineer.data.* settings). A process started with other
   * options is ended now when nothing runs or waits, and the next query starts one with these
   * (tables are rebuilt by the queries that need them); false while busy: ask again later.
   */
  reconfigure(options: EngineOptions): boolean {
    const next = { ...this.options, ...options };
    if (JSON.stringify(next) !== JSON.stringify(this.options)) this.stale = true;
    this.options = next;
    if (!this.live || !this.stale) return true;
    if (this.pending.size > 0 || this.waiting > 0) return false;
    this.kill(this.live, 'its settings changed');
    return true;
  }

  /** The engine child's process id while it runs (the data bench reads its CPU time). */
  get pid(): number | undefined {
    return this.live?.child.pid;
  }

  /** A DuckDB setting of the main database, or of the confined one for `confinedTo` (the host's own check, not user SQL). */
  async setting(name: string, confinedTo?: readonly string[]): Promise<string | null> {
    const value = (await this.query('', { ...(confinedTo ? { confinedTo } : {}), setting: name })).rows[0]?.[0];
    return value === null || value === undefined ? null : String(value);
  }

  async query(sql: string, options: QueryOptions & { readonly setting?: string }, signal?: AbortSignal): Promise<QueryResult> {
    if (this.closed) throw new Error('the data engine is closed');
    signal?.throwIfAborted();
    const live = this.start();
    // Held while a query waits (the process and its channel are unreferenced when idle, so an
    // engine nobody closed never keeps a CLI or a test process alive).
    this.waiting++;
    live.child.ref();
    try {
      await abortable(live.ready, signal);
    } finally {
      this.waiting--;
    }
    const id = this.nextId++;
    const request: QueryRequest = {
      type: 'query',
      id,
      sql,
      params: options.params ?? [],
      maxRows: options.maxRows ?? 10_000,
      ...(options.prepare ? { prepare: options.prepare } : {}),
      ...(options.confinedTo ? { confinedTo: options.confinedTo } : {}),
      ...(options.oneLinkOnly ? { oneLinkOnly: true } : {}),
      ...(options.setting !== undefined ? { setting: options.setting } : {}),
    };
    return new Promise<QueryResult>((resolve, reject) => {
      const timeMs = options.timeMs ?? this.options.queryTimeMs ?? 600_000;
      const took = `took longer than ${Math.round(timeMs / 1000)} s`;
      // Interrupted first: killing the shared process would drop every open grid's tables with it.
      const overrun = setTimeout(() => {
        this.overran.set(id, `The data engine stopped a query that ${took} (filter, aggregate or add a LIMIT); its other work goes on.`);
        this.stop(live, id, `a query ${took} and did not stop when interrupted`, this.options.overrunGraceMs ?? 5000);
      }, timeMs);
      const entry: Pending = { resolve, reject, timers: [overrun], live };
      this.pending.set(id, entry);
      live.child.ref();
      const onAbort = (): void => {
        this.settle(id)?.reject(signal?.reason instanceof Error ? signal.reason : abortError());
        this.stop(live, id, 'a cancelled query did not stop', this.options.cancelGraceMs ?? 2000);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
      this.cleanups.set(id, cleanup);
      live.child.send(request);
    });
  }

  private readonly tableUsers = new Map<string, number>();

  /** A source uses an engine table (TablePrep.table): it is kept until every user has released it. */
  retainTable(table: string): void {
    this.tableUsers.set(table, (this.tableUsers.get(table) ?? 0) + 1);
  }

  /** A source is done with a table; the last release drops it in the engine, freeing its memory and spill. */
  releaseTable(table: string): void {
    const users = (this.tableUsers.get(table) ?? 0) - 1;
    if (users > 0) {
      this.tableUsers.set(table, users);
      return;
    }
    this.tableUsers.delete(table);
    if (this.live?.child.connected) this.live.child.send({ type: 'drop', table });
  }

  /** Stops the process; the engine cannot be used afterwards. */
  close(): Promise<void> {
    this.closed = true;
    const live = this.live;
    if (!live) return Promise.resolve();
    const exited = new Promise<void>((resolve) => live.child.once('exit', () => resolve()));
    // Referenced until it has exited: an idle (unreferenced) child would let the caller's process end first.
    live.child.ref();
    this.kill(live, 'the data engine was closed');
    return exited;
  }

  private readonly cancelling = new Map<number, NodeJS.Timeout>();
  /** Queries interrupted for running past their time, with the message their "interrupted" reply becomes. */
  private readonly overran = new Map<number, string>();

  /**
   * Interrupts query `id` in DuckDB; if it has not answered within `graceMs`, kills the process.
   * DuckDB checks for interrupts between vectors; a call stuck in one read is killed instead.
   */
  private stop(live: Live, id: number, killWhy: string, graceMs: number): void {
    if (!live.child.connected || this.cancelling.has(id)) return;
    live.child.send({ type: 'cancel', id });
    const grace = setTimeout(() => {
      if (this.cancelling.has(id)) this.kill(live, killWhy);
    }, graceMs);
    grace.unref();
    this.cancelling.set(id, grace);
  }

  private swept = false;
  /** The running process was started with options since changed (reconfigure). */
  private stale = false;
  private readonly cleanups = new Map<number, () => void>();

  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    this.pending.delete(id);
    if (entry) for (const t of entry.timers) clearTimeout(t);
    this.cleanups.get(id)?.();
    this.cleanups.delete(id);
    if (this.pending.size === 0 && this.waiting === 0) this.live?.child.unref();
    return entry;
  }

  private start(): Live {
    if (this.live) return this.live;
    this.stale = false;
    const memoryLimitMb = this.options.memoryLimitMb ?? 1024;
    const setup: EngineSetup = {
      memoryLimitMb,
      rssCapMb: this.options.rssCapMb ?? defaultRssCapMb(memoryLimitMb),
      threads: this.options.threads ?? Math.min(8, availableParallelism()),
      tempDir: this.options.tempDir ?? tmpdir(),
      ...(this.options.spillLimitMb ? { spillLimitMb: this.options.spillLimitMb } : {}),
      ...(this.options.confinedSpillLimitMb ? { confinedSpillLimitMb: this.options.confinedSpillLimitMb } : {}),
    };
    // Once per engine client: the spill of engines killed before (by us or a crash) goes.
    if (!this.swept) {
      this.swept = true;
      void sweepSpillFolders(setup.tempDir);
    }
    const script = this.options.script ?? engineScript();
    const fromSource = script.endsWith('.ts');
    const child = fork(script, [], {
      execPath: process.execPath,
      // The JS side only converts pages; DuckDB's own memory is capped by memory_limit.
      execArgv: [...(fromSource ? ['--require', require.resolve(TSX_CJS)] : []), '--max-old-space-size=512'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', [ENGINE_SETUP_VAR]: JSON.stringify(setup) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let markReady: () => void = () => undefined;
    let failReady: (error: unknown) => void = () => undefined;
    const live: Live = {
      child,
      stderr: '',
      ready: new Promise<void>((resolve, reject) => {
        markReady = resolve;
        failReady = reject;
      }),
    };
    live.ready.catch(() => undefined);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      live.stderr = (live.stderr + text).slice(-4000);
    });
    child.on('message', (message: FromEngine) => {
      if (message.type === 'ready') return markReady();
      if (message.type === 'overMemory') {
        return this.kill(live, `it used ${message.rssMb} MB of memory, over its cap of ${message.capMb} MB (a single value too large for the engine, such as a huge string or list, is the usual cause)`);
      }
      const grace = this.cancelling.get(message.id);
      if (grace) {
        clearTimeout(grace);
        this.cancelling.delete(message.id);
      }
      const overran = this.overran.get(message.id);
      this.overran.delete(message.id);
      const entry = this.settle(message.id);
      if (!entry) return;
      if (message.type === 'result') entry.resolve({ columns: message.columns, rows: message.rows, truncated: message.truncated });
      else if (message.interrupted && overran) entry.reject(new QueryOverrun(overran));
      else entry.reject(message.interrupted ? abortError() : new EngineQueryError(message.message));
    });
    const stopped = (why: string): void => {
      if (this.live === live) this.live = undefined;
      const reason = live.killedFor ?? why;
      const tail = live.stderr.trim().split('\n').slice(-3).join(' ').trim();
      const error = new EngineStopped(`The data engine stopped: ${reason}${tail ? ` (${tail})` : ''}. The next request starts it again.`);
      failReady(error);
      for (const [id, entry] of [...this.pending]) if (entry.live === live) this.settle(id)?.reject(error);
      for (const grace of this.cancelling.values()) clearTimeout(grace);
      this.cancelling.clear();
      this.overran.clear();
    };
    child.on('exit', (code, signal) => {
      stopped(signal ? `it was ended by ${signal}` : `it exited with code ${code}`);
      // A killed child cannot remove its own spill folder.
      if (child.pid !== undefined) void removeSpillFolder(setup.tempDir, child.pid);
    });
    child.on('error', (error) => stopped(error.message));
    child.unref();
    this.live = live;
    return live;
  }

  private kill(live: Live, why: string): void {
    live.killedFor ??= why;
    if (this.live === live) this.live = undefined;
    live.child.kill('SIGKILL');
  }
}

/** See EngineOptions.rssCapMb. */
export function defaultRssCapMb(memoryLimitMb: number): number {
  return Math.round(memoryLimitMb * 2 + 128);
}

const TSX_CJS = 'tsx/cjs'; // a variable: bundlers leave it alone, and bundles never take this path

/** dist/engine/dataEngine.js beside the running bundle (dist/, dist/features/, dist/lazy/), or the .ts entry under tsx. */
export function engineScript(): string {
  if (__filename.endsWith('.ts')) return join(__dirname, 'engineProcess.ts');
  const candidates = [join(__dirname, 'engine', 'dataEngine.js'), join(__dirname, '..', 'engine', 'dataEngine.js')];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`the data engine ${candidates[0]} is missing: run npm run build`);
  return found;
}

function abortError(): Error {
  return new DOMException('The operation was aborted', 'AbortError');
}

async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  let onAbort: () => void = () => undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError());
      signal.addEventListener('abort', onAbort, { once: true });
    })]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

let shared: DataEngine | undefined;

/** The one engine of this process (extension host or CLI): one child process, its tables shared by every source. */
export function sharedDataEngine(options?: EngineOptions): DataEngine {
  shared ??= new DataEngine(options);
  return shared;
}
