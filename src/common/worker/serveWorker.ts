import { parentPort, workerData } from 'node:worker_threads';
import { BEAT, BEAT_MS, NOTE_AT, NOTE_BYTES, NOTE_LENGTH, type FromWorker, type SerializedError, type ToWorker, type WorkerApi, type WorkerSetup } from './protocol';

// The worker's side of workerRunner.ts: answers calls with the handlers it is given, bumps the
// heartbeat while its event loop turns, and keeps a note of what it is reading for the host.

export interface CallContext<E> {
  /** Aborted when the host cancels the call. */
  readonly signal: AbortSignal;
  /** Sends a report to the host while the call runs (a first partial listing). */
  readonly emit: (value: E) => void;
}

export type Handlers<Api extends WorkerApi> = {
  [M in keyof Api]: (params: Api[M]['params'], context: CallContext<Api[M]['event']>) => Api[M]['result'] | Promise<Api[M]['result']>;
};

let beats: Int32Array | undefined;
let noteBytes: Uint8Array | undefined;
const encoder = new TextEncoder();

/** Notes what the worker is reading now (a path): an overrun's message names it. */
export function note(text: string | undefined): void {
  if (!beats || !noteBytes) return;
  if (text === undefined) {
    Atomics.store(beats, NOTE_LENGTH, 0);
    return;
  }
  const { written } = encoder.encodeInto(text, noteBytes);
  Atomics.store(beats, NOTE_LENGTH, written);
}

export function serveWorker<Api extends WorkerApi>(handlers: Handlers<Api>): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker runs in a worker thread');
  const { shared } = workerData as WorkerSetup;
  beats = new Int32Array(shared);
  noteBytes = new Uint8Array(shared, NOTE_AT, NOTE_BYTES);
  const counter = beats;
  // Stops when a reader blocks the event loop: that is what the host's stall limit watches.
  setInterval(() => Atomics.add(counter, BEAT, 1), BEAT_MS).unref();
  const running = new Map<number, AbortController>();
  const send = (message: FromWorker): void => port.postMessage(message);

  const handle = async (id: number, method: string, params: unknown): Promise<void> => {
    const controller = new AbortController();
    running.set(id, controller);
    note(undefined);
    try {
      const handler = (handlers as Record<string, Handlers<Api>[keyof Api] | undefined>)[method];
      if (!handler) throw new Error(`the worker has no method ${method}`);
      const value = await handler(params, { signal: controller.signal, emit: (event) => send({ type: 'event', id, value: event }) });
      send({ type: 'result', id, value });
    } catch (error) {
      send({ type: 'error', id, error: serializeError(error, controller.signal.aborted) });
    } finally {
      running.delete(id);
    }
  };

  port.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') running.get(message.id)?.abort();
    else void handle(message.id, message.method, message.params);
  });
  send({ type: 'ready' });
}

function serializeError(error: unknown, aborted: boolean): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), ...(aborted ? { aborted } : {}) };
  const code = (error as NodeJS.ErrnoException).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error instanceof RangeError && /call stack/i.test(error.message) ? { stackOverflow: true } : {}),
    ...(aborted ? { aborted } : {}),
  };
}
