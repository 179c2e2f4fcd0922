// Messages between the host (engineClient.ts) and the engine's child process (engineProcess.ts),
// sent over Node's IPC channel. Plain JSON-safe values only: the child may be a different Node
// (VS Code's Electron run as Node) and rows go on to a webview as they are.
import type { Cell } from '../datasetSource';

/** A value bound to a `$n` placeholder; never spliced into SQL text. */
export type EngineParam = string | number | boolean | null;

/** A table the child builds once from a file and keeps while it lives (CSV, JSON lines, Arrow IPC). */
export interface TablePrep {
  /** The table's name, from the file's path and version (see fileRelation.ts), already safe as an identifier. */
  readonly table: string;
  /** An older version's table of the same file, dropped first so edits do not pile up tables. */
  readonly replaces?: string;
  /** `CREATE TABLE <table> AS <select>` with these params, or the Arrow IPC reader for a path (its first `rows` only, when given). */
  readonly from: { readonly kind: 'select'; readonly sql: string; readonly params: readonly EngineParam[] } | { readonly kind: 'arrow'; readonly path: string; readonly rows?: number };
}

export interface QueryRequest {
  readonly type: 'query';
  readonly id: number;
  readonly sql: string;
  readonly params: readonly EngineParam[];
  /** Rows read at most; `truncated` says whether more were there. */
  readonly maxRows: number;
  readonly prepare?: readonly TablePrep[];
  /**
   * Run in a separate read-only, confined database: one statement, SELECT only, files readable only
   * under these folders (DuckDB's enable_external_access=false + allowed_directories), settings locked.
   */
  readonly confinedTo?: readonly string[];
  /** With confinedTo, the agent's query: files with other hard links are refused too. */
  readonly oneLinkOnly?: boolean;
  /**
   * Instead of `sql`: this DuckDB setting of the chosen database, read by the engine itself. The
   * host's own check of how a database was set up (the spill cap); user and agent SQL cannot read
   * settings (confinedSql refuses current_setting).
   */
  readonly setting?: string;
}

export interface CancelRequest {
  readonly type: 'cancel';
  readonly id: number;
}

/** No source uses this table any more: the child drops it (a later query that needs it builds it again). */
export interface DropRequest {
  readonly type: 'drop';
  readonly table: string;
}

export type ToEngine = QueryRequest | CancelRequest | DropRequest;

export interface EngineColumn {
  readonly name: string;
  readonly type: string;
}

export type FromEngine =
  | { readonly type: 'ready'; readonly version: string }
  | { readonly type: 'result'; readonly id: number; readonly columns: readonly EngineColumn[]; readonly rows: readonly (readonly Cell[])[]; readonly truncated: boolean }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly interrupted: boolean }
  /** The child's resident memory passed EngineSetup.rssCapMb: the host kills it (it kills itself too once this is sent). */
  | { readonly type: 'overMemory'; readonly rssMb: number; readonly capMb: number };

/** What the host hands the child at start, in the environment variable ENGINE_SETUP_VAR (JSON). */
export interface EngineSetup {
  readonly memoryLimitMb: number;
  readonly threads: number;
  /** Where DuckDB spills; the child makes and removes a folder of its own inside it. */
  readonly tempDir: string;
  /** DuckDB's max_temp_directory_size for the main database; absent: half the temp disk's free space at start, at most 64 GB. */
  readonly spillLimitMb?: number;
  /** The same for the agent's and the CLI's confined databases (default 2048): their SQL is the model's, not the person's. */
  readonly confinedSpillLimitMb?: number;
  /**
   * The child's resident memory at most (MB). memory_limit bounds DuckDB's buffers, not one value
   * built in a single call (repeat('x', 1e9) reached 2 GB under 512 MB), so the child watches its
   * own RSS while it works and is killed past this.
   */
  readonly rssCapMb: number;
}

export const ENGINE_SETUP_VAR = 'ML_ENGINEER_DATA_ENGINE';

/** Longest string a cell carries: a 1 GB line must not cross the IPC channel as one value. */
export const MAX_CELL_CHARS = 65_536;
