// The messages between a host (workerRunner.ts) and a worker thread (serveWorker.ts), and the
// shared memory beside them: a heartbeat the worker bumps while its event loop turns, and a note
// of what it is reading, which the host can read even while the worker is stuck.

/** A worker's methods: what each takes, returns, and may report while it works. */
export type WorkerApi = Record<string, { params: unknown; result: unknown; event?: unknown }>;

export type ToWorker = { readonly type: 'call'; readonly id: number; readonly method: string; readonly params: unknown } | { readonly type: 'cancel'; readonly id: number };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly value: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError }
  | { readonly type: 'event'; readonly id: number; readonly value: unknown };

/** An error thrown in the worker, as it crosses to the host. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** Node's errno code (ENOENT…), where there was one. */
  readonly code?: string;
  /** The reader recursed past its stack: the host words this for the user. */
  readonly stackOverflow?: boolean;
  /** The call was cancelled and stopped on its own. */
  readonly aborted?: boolean;
}

/** Given to the worker as `workerData`. */
export interface WorkerSetup {
  readonly shared: SharedArrayBuffer;
}

/** Int32 slot of the heartbeat counter. */
export const BEAT = 0;
/** Int32 slot holding the byte length of the note. */
export const NOTE_LENGTH = 1;
/** Byte offset of the note (UTF-8). */
export const NOTE_AT = 8;
export const NOTE_BYTES = 2048;
export const SHARED_BYTES = NOTE_AT + NOTE_BYTES;
/** How often the worker's event loop bumps the heartbeat. */
export const BEAT_MS = 100;

/** The note the worker left in `shared` (what it was reading), or undefined. */
export function readNote(shared: SharedArrayBuffer): string | undefined {
  const length = Atomics.load(new Int32Array(shared), NOTE_LENGTH);
  if (length <= 0) return undefined;
  // A copy: TextDecoder does not read shared memory.
  return new TextDecoder().decode(new Uint8Array(shared, NOTE_AT, Math.min(length, NOTE_BYTES)).slice());
}
