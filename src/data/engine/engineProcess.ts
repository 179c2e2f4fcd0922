// The data engine's child process (bundled to dist/engine/dataEngine.js): DuckDB runs here, never in
// the extension host, so a big scan cannot freeze the editor, a crash costs only this process (the
// host starts a fresh one on its next call), and a runaway query can be killed outright.
//
// Two databases: the main one reads the files the user opens (any path: the user chose them) and
// keeps the tables built from text formats; a confined one per set of workspace roots runs the
// agent's and the CLI's SQL: one SELECT statement, files readable only inside the roots, settings locked.
import { readdirSync, rmSync, statfsSync } from 'node:fs';
import { constants, getPriority, setPriority } from 'node:os';
import { realpath } from 'node:fs/promises';
import { DuckDBInstance, StatementType, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { Cell } from '../datasetSource';
import { setDecodedBufferCap } from './arrowCodecs';
import { importArrowIpc } from './arrowImport';
import { confineQuery } from './confinedSql';
import { makeSpillFolder } from './spillFolders';
import { ENGINE_SETUP_VAR, MAX_CELL_CHARS, type EngineSetup, type FromEngine, type QueryRequest, type TablePrep, type ToEngine } from './protocol';

/**
 * Every thread of this process below the editor's priority: a scan may use every core, yet the
 * editor, the extension host and the user's kernel are served first. Linux keeps a priority per
 * thread and a new thread takes its creator's: each thread there now is set (Node's pool, which
 * creates DuckDB's threads, may be older than this code), before any database starts.
 */
function belowNormalPriority(): void {
  // Below the editor's own (this process starts at its priority), however low that already is.
  let level: number;
  try {
    level = Math.min(constants.priority.PRIORITY_LOW, getPriority() + constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    return;
  }
  try {
    setPriority(level);
  } catch {
    return; // Not allowed here (a sandbox): the engine runs at the editor's priority.
  }
  if (process.platform !== 'linux') return;
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of threads) {
    try {
      setPriority(Number(tid), level);
    } catch {
      // A thread that ended meanwhile.
    }
  }
}
belowNormalPriority();

const setup = JSON.parse(process.env[ENGINE_SETUP_VAR] ?? '{}') as EngineSetup;
setDecodedBufferCap(setup.memoryLimitMb * 2 ** 20);
const spill = ownSpillFolder();

/** A fresh private folder, never one that already exists (spillFolders.ts); if unsafe the engine stops saying why. */
function ownSpillFolder(): string {
  try {
    return makeSpillFolder(setup.tempDir, process.pid);
  } catch (error) {
    // One line on stderr: the host quotes its last lines in the error it gives.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

/** DuckDB would spill up to 90% of the disk's free space; a person's disk is theirs to keep. */
const MAX_SPILL_MB = 64 * 1024;
const DEFAULT_CONFINED_SPILL_MB = 2048;

function freeSpillMb(): number {
  try {
    const fs = statfsSync(spill);
    return Math.floor((fs.bavail * fs.bsize) / 2 / 1024 / 1024);
  } catch {
    return 4096;
  }
}

/**
 * A database with the engine's settings. max_temp_directory_size is SET again once it exists:
 * DuckDB 1.5 reports the start-up value but only enforces one SET afterwards (measured: 400 MB
 * spilled under a 1 MB cap given at start).
 */
async function createDatabase(spillMb: number): Promise<DuckDBInstance> {
  const mb = Math.max(1, Math.floor(spillMb));
  const db = await DuckDBInstance.create(':memory:', baseSettings(mb));
  const connection = await db.connect();
  try {
    await connection.run(`SET max_temp_directory_size = '${mb}MB'`);
  } finally {
    connection.closeSync();
  }
  return db;
}

function baseSettings(spillMb: number): Record<string, string> {
  return {
    memory_limit: `${setup.memoryLimitMb}MB`,
    threads: String(setup.threads),
    temp_directory: spill,
    max_temp_directory_size: `${spillMb}MB`,
    // No network here or on a user's locked-down machine: never fetch an extension on the fly.
    autoinstall_known_extensions: 'false',
  };
}

const main = createDatabase(setup.spillLimitMb ?? Math.min(MAX_SPILL_MB, freeSpillMb()));
const confined = new Map<string, Promise<DuckDBInstance>>();
/**
 * A table being built (or built) from a file, on a connection of its own: the queries that need it
 * wait for it, and cancelling one of them stops only that one's wait. The build itself is
 * interrupted only when every query waiting on it was cancelled.
 */
interface Build {
  readonly table: string;
  readonly done: Promise<void>;
  readonly waiters: Set<number>;
  readonly stop: AbortController;
  /** Interrupts the build's query in DuckDB (an Arrow import also watches `stop`). */
  readonly interrupt: () => void;
  settled: boolean;
}
/** Tables built so far (or being built), by name. */
const tables = new Map<string, Build>();
/** Abandoned builds still stopping, by table: a fresh build of the table starts after it. */
const stopping = new Map<string, Promise<void>>();
/** Queries waiting on a build: how to stop the wait. */
const waits = new Map<number, { readonly build: Build; readonly reject: (error: Error) => void }>();
/** Running queries' connections, for interrupt(). */
const running = new Map<number, DuckDBConnection>();
const cancelled = new Set<number>();

function interrupted(): Error {
  return new Error('INTERRUPT Error: Interrupted!');
}

/** The roots as real paths: confinement compares real paths, so a root reached through a link still works. */
function realRoots(roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map((root) => realpath(root).catch(() => root)));
}

function confinedInstance(roots: readonly string[]): Promise<DuckDBInstance> {
  const key = JSON.stringify(roots);
  let instance = confined.get(key);
  if (!instance) {
    instance = (async () => {
      const db = await createDatabase(setup.confinedSpillLimitMb ?? Math.min(DEFAULT_CONFINED_SPILL_MB, freeSpillMb()));
      const connection = await db.connect();
      // allowed_directories must be set before external access is turned off; lock_configuration
      // then keeps a query from turning either back (SET is not a SELECT anyway).
      await connection.run(`SET allowed_directories = ${listLiteral(roots.map((r) => (r.endsWith('/') || r.endsWith('\\') ? r : `${r}/`)))}`);
      // Relative paths in the agent's SQL are the workspace's.
      await connection.run(`SET file_search_path = ${listLiteral([roots.join(',')]).slice(1, -1)}`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET autoload_known_extensions = false');
      await connection.run('SET lock_configuration = true');
      connection.closeSync();
      return db;
    })();
    confined.set(key, instance);
  }
  return instance;
}

/** A list of string literals, quotes doubled: only the host's own workspace paths come here. */
function listLiteral(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]`;
}

async function prepareTable(id: number, prep: TablePrep): Promise<void> {
  // Names are made by the host from a hash; anything else is refused rather than quoted.
  if (!/^[a-z0-9_]+$/.test(prep.table) || (prep.replaces !== undefined && !/^[a-z0-9_]+$/.test(prep.replaces))) throw new Error(`Invalid table name ${prep.table}`);
  let build = tables.get(prep.table);
  if (!build) {
    if (prep.replaces) await dropTable(prep.replaces);
    build = startBuild(prep, stopping.get(prep.table));
  }
  await waitFor(id, build);
}

/** Builds a table on a connection of its own, after any earlier (abandoned) build of it has stopped. */
function startBuild(prep: TablePrep, after: Promise<void> = Promise.resolve()): Build {
  const stop = new AbortController();
  const state: { connection?: DuckDBConnection } = {};
  const done = (async () => {
    await after;
    const connection = await (await main).connect();
    state.connection = connection;
    try {
      if (stop.signal.aborted) throw interrupted();
      if (prep.from.kind === 'select') await connection.run(`CREATE TABLE IF NOT EXISTS "${prep.table}" AS ${prep.from.sql}`, prep.from.params as DuckDBValue[]);
      else await importArrowIpc(connection, prep.table, prep.from.path, stop.signal, prep.from.rows);
    } finally {
      state.connection = undefined;
      connection.closeSync();
    }
  })();
  const build: Build = { table: prep.table, waiters: new Set(), stop, settled: false, done, interrupt: () => state.connection?.interrupt() };
  tables.set(prep.table, build);
  done.then(
    () => (build.settled = true),
    () => {
      build.settled = true;
      // A failed or interrupted build is tried again by the next query that needs it.
      if (tables.get(prep.table) === build) tables.delete(prep.table);
    },
  );
  return build;
}

/** Waits for a build as query `id`; a cancel of `id` ends this wait only. */
async function waitFor(id: number, build: Build): Promise<void> {
  if (cancelled.has(id)) throw interrupted();
  build.waiters.add(id);
  try {
    await new Promise<void>((resolve, reject) => {
      waits.set(id, { build, reject });
      build.done.then(resolve, reject);
    });
  } finally {
    build.waiters.delete(id);
    waits.delete(id);
  }
}

/** Query `id` was cancelled: its wait ends, and a build nobody waits for any more is stopped. */
function cancelWait(id: number): void {
  const wait = waits.get(id);
  if (!wait) return;
  const { build } = wait;
  build.waiters.delete(id);
  wait.reject(interrupted());
  if (build.waiters.size === 0 && !build.settled) abandon(build);
}

/** Stops a build; a query that needs the table later starts a fresh one once this one has stopped. */
function abandon(build: Build): void {
  if (tables.get(build.table) === build) tables.delete(build.table);
  const stopped = build.done.then(
    () => undefined,
    () => undefined,
  );
  stopping.set(build.table, stopped);
  void stopped.then(() => {
    if (stopping.get(build.table) === stopped) stopping.delete(build.table);
  });
  build.stop.abort();
  build.interrupt();
}

/** Drops a table (stopping its build first); the next query that needs it builds it again. */
async function dropTable(table: string): Promise<void> {
  const build = tables.get(table);
  if (!build) return;
  abandon(build);
  await build.done.catch(() => undefined);
  const connection = await (await main).connect();
  try {
    await connection.run(`DROP TABLE IF EXISTS "${table}"`);
  } finally {
    connection.closeSync();
  }
}

async function runQuery(request: QueryRequest): Promise<FromEngine> {
  const db = request.confinedTo ? await confinedInstance(await realRoots(request.confinedTo)) : await main;
  const connection = await db.connect();
  running.set(request.id, connection);
  try {
    if (cancelled.has(request.id)) throw new Error('INTERRUPT Error: Interrupted!');
    if (request.setting !== undefined) {
      const value = (await connection.runAndReadAll('SELECT current_setting($1)', [request.setting])).getRows()[0]?.[0];
      return { type: 'result', id: request.id, columns: [{ name: request.setting, type: 'VARCHAR' }], rows: [[value === null || value === undefined ? null : String(value)]], truncated: false };
    }
    for (const prep of request.prepare ?? []) await prepareTable(request.id, prep);
    let sql = request.sql;
    if (request.confinedTo) {
      const roots = await realRoots(request.confinedTo);
      sql = await confineQuery(sql, roots, async (text, param) => String((await connection.runAndReadAll(text, [param])).getRows()[0]?.[0] ?? ''), { oneLinkOnly: request.oneLinkOnly === true });
      await checkReadOnly(connection, sql);
    }
    const reader = await connection.streamAndReadUntil(sql, request.maxRows + 1, request.params as DuckDBValue[]);
    const names = reader.columnNames();
    const types = reader.columnTypes().map(String);
    const all = reader.getRows();
    const rows = all.slice(0, request.maxRows).map((row) => row.map(toCell));
    return { type: 'result', id: request.id, columns: names.map((name, i) => ({ name, type: types[i] ?? '' })), rows, truncated: all.length > request.maxRows || !reader.done };
  } finally {
    running.delete(request.id);
    cancelled.delete(request.id);
    connection.closeSync();
  }
}

/** One statement, and a SELECT (confineQuery judged the parse tree; this asks the planner too). */
async function checkReadOnly(connection: DuckDBConnection, sql: string): Promise<void> {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) throw new Error(`Read-only query: give exactly one SELECT statement (found ${statements.count})`);
  const prepared = await statements.prepare(0);
  const type = prepared.statementType;
  prepared.destroySync();
  if (type !== StatementType.SELECT) throw new Error(`Read-only query: only SELECT statements run here (this one is ${StatementType[type] ?? type})`);
}

/** Numbers a double holds exactly stay numbers; everything else is the text DuckDB prints for it. */
export function toCell(value: DuckDBValue): Cell {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  const text = typeof value === 'string' ? value : String(value);
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS)}…` : text;
}

function send(message: FromEngine): void {
  process.send?.(message);
}

process.on('message', (message: ToEngine) => {
  if (message.type === 'drop') {
    if (/^[a-z0-9_]+$/.test(message.table)) void dropTable(message.table).catch((error: unknown) => process.stderr.write(`could not drop ${message.table}: ${String(error)}\n`));
    return;
  }
  if (message.type === 'cancel') {
    cancelled.add(message.id);
    cancelWait(message.id);
    running.get(message.id)?.interrupt();
    return;
  }
  watchMemory(+1);
  runQuery(message)
    .then(send, (error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      send({ type: 'error', id: message.id, message: text, interrupted: /^INTERRUPT Error/.test(text) });
    })
    .finally(() => watchMemory(-1));
});

/** How often the resident memory is read while queries run: one value can grow by GBs a second. */
const MEMORY_CHECK_MS = 20;
let inFlight = 0;
let memoryTimer: NodeJS.Timeout | undefined;

/**
 * Watches this process's resident memory while queries run (memory_limit does not bound one
 * huge value): past the cap, tells the host (which kills this process and says why) and, once
 * that is sent, kills itself in case the host cannot.
 */
function watchMemory(delta: number): void {
  inFlight += delta;
  if (inFlight > 0 && !memoryTimer) {
    memoryTimer = setInterval(() => {
      const rssMb = Math.round(process.memoryUsage.rss() / 1048576);
      if (rssMb <= setup.rssCapMb) return;
      clearInterval(memoryTimer);
      const die = (): void => void process.kill(process.pid, 'SIGKILL');
      if (!process.send?.({ type: 'overMemory', rssMb, capMb: setup.rssCapMb } satisfies FromEngine, undefined, {}, die)) setTimeout(die, 500);
    }, MEMORY_CHECK_MS);
    memoryTimer.unref();
  } else if (inFlight === 0 && memoryTimer) {
    clearInterval(memoryTimer);
    memoryTimer = undefined;
  }
}

// The host went away (closed, crashed, reloaded): nothing here is worth keeping.
process.on('disconnect', () => process.exit(0));
process.on('exit', () => rmSync(spill, { recursive: true, force: true }));
main.then(
  () => send({ type: 'ready', version: 'duckdb' }),
  (error: unknown) => {
    process.stderr.write(`the data engine could not start DuckDB: ${String(error)}\n`);
    process.exit(3);
  },
);
