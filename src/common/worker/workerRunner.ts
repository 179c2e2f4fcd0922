import { Worker } from 'node:worker_threads';
import { ReaderStopped, stopWhy, type StopReason } from './readerStopped';
import { BEAT, readNote, SHARED_BYTES, type FromWorker, type SerializedError, type ToWorker, type WorkerApi, type WorkerSetup } from './protocol';

// Runs work on files the user did not vet (model files, tracking folders) in worker threads, so a
// hostile or huge file can never freeze the extension host: each worker has a V8 heap limit
// (resourceLimits), each call a time budget (and optionally a limit on how long the worker's event
// loop may stay blocked), and a call that overruns, is cancelled or crashes the worker ends with a
// ReaderStopped that names the file and the limit. The worker is then terminated without waiting
// (a thread blocked in a system call never finishes terminating) and the next call starts a fresh
// one. Each worker runs one call at a time, so an overrun is charged to the call that caused it.

export interface RunnerLimits {
  /** The worker's V8 heap (maxOldGenerationSizeMb). */
  readonly memoryMb: number;
  /** Wall-clock time one call may take, counted from when the worker is ready. */
  readonly timeMs: number;
  /** How long the worker's event loop may stay blocked during a call; unset: only `timeMs` counts. */
  readonly stallMs?: number;
}

export interface WorkerRunnerOptions {
  /** The worker's script: a bundle in dist/workers/, or a .ts entry when running from source (tsx). */
  readonly script: string;
  readonly limits: RunnerLimits;
  /** Workers at most, each running one call at a time (default 1). */
  readonly maxWorkers?: number;
  /** An idle worker is kept this long for the next call (default 30 s); 0 starts one per call. */
  readonly idleMs?: number;
  /** How long a cancelled call may take to stop on its own before its worker is terminated (default 0). */
  readonly cancelGraceMs?: number;
  /** How long a worker may take to start (load its script) before it counts as crashed (default 60 s). */
  readonly startMs?: number;
}

export interface CallOptions<E> {
  /** The file or folder the call reads, as the user knows it: errors name it. */
  readonly subject: string;
  readonly signal?: AbortSignal;
  /** Calls with the same key go to the same worker (which may keep state for it). */
  readonly affinity?: string;
  /** This call's own time limits. */
  readonly limits?: Partial<Pick<RunnerLimits, 'timeMs' | 'stallMs'>>;
  /** Hears what the worker reports while it works (`emit` in serveWorker). */
  readonly onEvent?: (value: E) => void;
  /** Only when the affinity key's worker is running (state to drop there): else resolves undefined at once. */
  readonly ifRunning?: boolean;
}

interface Call {
  readonly id: number;
  readonly method: string;
  readonly params: unknown;
  readonly options: CallOptions<unknown>;
  readonly limits: RunnerLimits;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Clears the call's timers and listeners. */
  readonly cleanup: (() => void)[];
}

interface Live {
  readonly worker: Worker;
  readonly shared: SharedArrayBuffer;
  ready: boolean;
  readonly whenReady: (() => void)[];
  /** The worker's uncaught error (or out-of-memory), seen before it exits. */
  failure?: Error & { code?: string };
}

interface Slot {
  live?: Live;
  current?: Call;
  readonly queue: Call[];
  /** Affinity keys pinned to this slot. */
  pins: number;
  idleTimer?: NodeJS.Timeout;
}

export class WorkerRunner<Api extends WorkerApi> {
  private readonly slots: Slot[] = [];
  private readonly pinned = new Map<string, Slot>();
  private nextId = 1;
  private disposed = false;
  private limits: RunnerLimits;

  constructor(private readonly options: WorkerRunnerOptions) {
    this.limits = options.limits;
  }

  /** New limits for the calls to come; a changed heap limit applies to workers started after. */
  setLimits(limits: RunnerLimits): void {
    this.limits = limits;
  }

  call<M extends keyof Api & string>(method: M, params: Api[M]['params'], options: CallOptions<Api[M]['event']>): Promise<Api[M]['result']> {
    const limits: RunnerLimits = { ...this.limits, ...options.limits };
    if (this.disposed) return Promise.reject(new ReaderStopped(options.subject, 'disposed', stopWhy('disposed', limits)));
    if (options.signal?.aborted) return Promise.reject(new ReaderStopped(options.subject, 'cancelled', stopWhy('cancelled', limits)));
    if (options.ifRunning && !(options.affinity !== undefined && this.pinned.get(options.affinity)?.live)) return Promise.resolve(undefined as Api[M]['result']);
    return new Promise<Api[M]['result']>((resolve, reject) => {
      const call: Call = { id: this.nextId++, method, params, options, limits, resolve, reject, cleanup: [] };
      const slot = this.slotFor(options.affinity);
      const signal = options.signal;
      if (signal) {
        const onAbort = (): void => this.cancel(slot, call);
        signal.addEventListener('abort', onAbort, { once: true });
        call.cleanup.push(() => signal.removeEventListener('abort', onAbort));
      }
      slot.queue.push(call);
      this.pump(slot);
    });
  }

  /** Forgets an affinity key (its state in the worker is the caller's to drop). */
  release(affinity: string): void {
    const slot = this.pinned.get(affinity);
    if (!slot) return;
    slot.pins--;
    this.pinned.delete(affinity);
  }

  /** Stops every worker; calls still waiting or running end with ReaderStopped ('disposed'). */
  dispose(): void {
    this.disposed = true;
    for (const slot of this.slots) {
      for (const call of slot.queue.splice(0)) this.settle(call, this.stopped(call, 'disposed'));
      if (slot.current) this.settle(slot.current, this.stopped(slot.current, 'disposed'));
      slot.current = undefined;
      this.drop(slot);
    }
  }

  private slotFor(affinity: string | undefined): Slot {
    const pinned = affinity === undefined ? undefined : this.pinned.get(affinity);
    if (pinned) return pinned;
    const max = Math.max(1, this.options.maxWorkers ?? 1);
    const idle = (s: Slot): boolean => !s.current && s.queue.length === 0;
    let slot: Slot | undefined;
    if (affinity !== undefined) {
      // Spread keys over the workers: a new one until there are `max`, then the one with fewest keys.
      slot = this.slots.length < max ? undefined : this.slots.reduce((a, b) => (b.pins < a.pins ? b : a));
    } else {
      slot = this.slots.find((s) => idle(s) && s.live) ?? this.slots.find(idle);
      if (!slot && this.slots.length >= max) slot = this.slots.reduce((a, b) => (b.queue.length < a.queue.length ? b : a));
    }
    if (!slot) {
      slot = { queue: [], pins: 0 };
      this.slots.push(slot);
    }
    if (affinity !== undefined) {
      slot.pins++;
      this.pinned.set(affinity, slot);
    }
    return slot;
  }

  /** Starts the slot's next call when it has none running. */
  private pump(slot: Slot): void {
    if (slot.current || this.disposed) return;
    const call = slot.queue.shift();
    if (!call) {
      this.idle(slot);
      return;
    }
    clearTimeout(slot.idleTimer);
    slot.current = call;
    const live = (slot.live ??= this.start(slot));
    live.worker.ref(); // a waiting call keeps a CLI process alive; an idle worker does not
    const message: ToWorker = { type: 'call', id: call.id, method: call.method, params: call.params };
    try {
      live.worker.postMessage(message);
    } catch (error) {
      this.finish(slot, call, error); // params that cannot be cloned
      return;
    }
    const started = (): void => this.startClocks(slot, live, call);
    if (live.ready) started();
    else live.whenReady.push(started);
  }

  private start(slot: Slot): Live {
    const shared = new SharedArrayBuffer(SHARED_BYTES);
    const setup: WorkerSetup = { shared };
    const memoryMb = this.limits.memoryMb;
    const options = {
      workerData: setup,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(8, Math.round(memoryMb / 16)), stackSizeMb: 4 },
    };
    const script = this.options.script;
    const worker = script.endsWith('.ts') ? new Worker(sourceBootstrap(script), { ...options, eval: true }) : new Worker(script, options);
    const live: Live = { worker, shared, ready: false, whenReady: [] };
    const startTimer = setTimeout(() => {
      if (slot.live === live && !live.ready && slot.current) this.overrun(slot, 'crash', 'it did not start');
    }, this.options.startMs ?? 60_000);
    startTimer.unref();
    worker.on('message', (message: FromWorker) => {
      if (slot.live !== live) return;
      if (message.type === 'ready') {
        clearTimeout(startTimer);
        live.ready = true;
        for (const go of live.whenReady.splice(0)) go();
        return;
      }
      const call = slot.current;
      if (!call || message.id !== call.id) return;
      if (message.type === 'event') call.options.onEvent?.(message.value);
      else if (message.type === 'result') this.finish(slot, call, undefined, message.value);
      else this.finish(slot, call, this.revive(call, message.error));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      live.failure = error;
    });
    worker.on('exit', (code) => {
      clearTimeout(startTimer);
      if (slot.live !== live) return;
      slot.live = undefined;
      const call = slot.current;
      if (!call) return;
      const failure = live.failure;
      if (failure?.code === 'ERR_WORKER_OUT_OF_MEMORY') this.fail(slot, call, 'memory', readNote(live.shared));
      else this.fail(slot, call, 'crash', readNote(live.shared), failure ? failure.message : `exit code ${code}`);
      this.pump(slot);
    });
    return live;
  }

  private startClocks(slot: Slot, live: Live, call: Call): void {
    if (slot.current !== call) return;
    const timer = setTimeout(() => this.overrun(slot, 'time'), call.limits.timeMs);
    timer.unref();
    call.cleanup.push(() => clearTimeout(timer));
    const stallMs = call.limits.stallMs;
    if (stallMs !== undefined) {
      const beats = new Int32Array(live.shared);
      let last = Atomics.load(beats, BEAT);
      let lastChange = performance.now();
      const check = setInterval(() => {
        const beat = Atomics.load(beats, BEAT);
        if (beat !== last) {
          last = beat;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > stallMs) this.overrun(slot, 'stall');
      }, Math.max(20, Math.min(500, stallMs / 4)));
      check.unref();
      call.cleanup.push(() => clearInterval(check));
    }
  }

  /** A cancelled call: dropped when still waiting; asked to stop when running, and its worker terminated if it does not. */
  private cancel(slot: Slot, call: Call): void {
    const queued = slot.queue.indexOf(call);
    if (queued >= 0) {
      slot.queue.splice(queued, 1);
      this.settle(call, this.stopped(call, 'cancelled'));
      return;
    }
    if (slot.current !== call) return;
    const grace = this.options.cancelGraceMs ?? 0;
    if (grace <= 0 || !slot.live) {
      this.overrun(slot, 'cancelled');
      return;
    }
    slot.live.worker.postMessage({ type: 'cancel', id: call.id } satisfies ToWorker);
    const timer = setTimeout(() => slot.current === call && this.overrun(slot, 'cancelled'), grace);
    timer.unref();
    call.cleanup.push(() => clearTimeout(timer));
  }

  /** The running call went over a limit (or was cancelled): it ends now, and so does its worker. */
  private overrun(slot: Slot, reason: StopReason, detail?: string): void {
    const call = slot.current;
    if (!call) return;
    const during = slot.live ? readNote(slot.live.shared) : undefined;
    this.drop(slot);
    this.fail(slot, call, reason, during, detail);
    this.pump(slot);
  }

  private fail(slot: Slot, call: Call, reason: StopReason, during?: string, detail?: string): void {
    if (slot.current === call) slot.current = undefined;
    this.settle(call, this.stopped(call, reason, during, detail));
  }

  private finish(slot: Slot, call: Call, error: unknown, value?: unknown): void {
    if (slot.current === call) slot.current = undefined;
    this.settle(call, error, value);
    if (this.options.idleMs === 0 && slot.queue.length === 0) this.drop(slot);
    this.pump(slot);
  }

  private settle(call: Call, error: unknown, value?: unknown): void {
    for (const clean of call.cleanup.splice(0)) clean();
    if (error === undefined) call.resolve(value);
    else call.reject(error);
  }

  private stopped(call: Call, reason: StopReason, during?: string, detail?: string): ReaderStopped {
    return new ReaderStopped(call.options.subject, reason, stopWhy(reason, call.limits, detail), during);
  }

  private revive(call: Call, error: SerializedError): Error {
    if (error.stackOverflow) return this.stopped(call, 'stack');
    if (error.aborted) return this.stopped(call, 'cancelled');
    const revived = new Error(error.message) as Error & { code?: string };
    revived.name = error.name;
    if (error.code !== undefined) revived.code = error.code;
    return revived;
  }

  /** Nothing to run: the worker waits for the next call a while, without keeping the process alive. */
  private idle(slot: Slot): void {
    const live = slot.live;
    if (!live) return;
    live.worker.unref();
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.live === live && !slot.current) this.drop(slot);
    }, this.options.idleMs ?? 30_000);
    slot.idleTimer.unref();
  }

  /** Terminates the slot's worker without waiting for it: one blocked in a system call may never exit. */
  private drop(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    const live = slot.live;
    slot.live = undefined;
    if (!live) return;
    live.worker.unref();
    live.worker.terminate().catch(() => undefined);
  }
}

/** A worker from a .ts entry (tests and benches run from source under tsx): tsx's require hook first. */
export function sourceBootstrap(script: string): string {
  const tsx = 'tsx/cjs'; // a variable: bundlers leave it alone, and bundles never take this path
  return `require(${JSON.stringify(require.resolve(tsx))});require(${JSON.stringify(script)});`;
}
