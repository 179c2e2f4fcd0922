import type { KernelConnection } from './jupyterLib';
import { OutputAccumulator, type OutputLimits } from './outputModel';

/**
 * running, then one of: ok, error (the code raised), aborted (skipped after an earlier error),
 * died (the kernel died or restarted under it), lost (the connection ended before the reply).
 */
export type ExecutionStatus = 'running' | 'ok' | 'error' | 'aborted' | 'died' | 'lost';

export interface ExecuteOptions {
  /** Silent runs leave the user's history and execution count alone and show no execute_input. */
  readonly silent?: boolean;
  /** Answers `input()` / `getpass()`; undefined means the user declined, and the kernel is interrupted. */
  readonly onInput?: (prompt: string, password: boolean) => Promise<string | undefined>;
  readonly limits?: OutputLimits;
  /** Follow an execution already running under this msg_id instead of sending the code again. */
  readonly attachTo?: string;
  /**
   * Asked while the connection is trying to come back: why it cannot (a revoked token, a
   * stopped JupyterHub server, the kernel gone), so the run ends with that instead of waiting
   * for ever. `transient` problems (the server does not answer) end it only after a while.
   */
  readonly whyDisconnected?: () => Promise<ConnectionProblem | undefined>;
}

export interface ConnectionProblem {
  readonly problem: string;
  readonly transient: boolean;
}

/** How often a run whose connection is coming back asks why, and how long it waits on a server that does not answer. */
export const RECONNECT_CHECK_MS = 3_000;
export const UNREACHABLE_GIVE_UP_MS = 60_000;

const DIED = 'The kernel died while this ran (killed, or out of memory); the server restarted it and its variables are gone. Run the cells it needs again.';
const LOST = 'The connection to the kernel was lost and could not be made again (the server refused it, or the kernel is gone).';

/** One execute_request and everything that came back for it. */
export class Execution {
  readonly outputs: OutputAccumulator;
  readonly startedAt = Date.now();
  endedAt: number | undefined;
  status: ExecutionStatus = 'running';
  /** Why it died or was lost, for the cell and the agent. */
  problem: string | undefined;
  readonly msgId: string;
  readonly done: Promise<ExecutionStatus>;
  private readonly listeners = new Set<() => void>();
  private finish!: (status: ExecutionStatus) => void;
  private restartSeen = false;
  /** Set while the reason for a lost connection is being asked: nothing else ends the run meanwhile. */
  private losing = false;

  constructor(
    readonly kernel: KernelConnection,
    readonly code: string,
    options: ExecuteOptions = {},
  ) {
    this.outputs = new OutputAccumulator(options.limits);
    this.done = new Promise((resolve) => {
      this.finish = (status) => {
        if (this.status !== 'running') return;
        this.status = status;
        this.endedAt = Date.now();
        clearInterval(watch);
        kernel.statusChanged.disconnect(onKernelStatus);
        kernel.iopubMessage.disconnect(onIopub);
        kernel.connectionStatusChanged.disconnect(onConnection);
        resolve(status);
        this.emit();
      };
    });
    // The server announces a restart it made itself (the kernel died) on IOPub; a restart the
    // user asked for only changes the connection's status. The status signal fires first.
    const onKernelStatus = (_: unknown, status: string): void => {
      if (status === 'dead' && kernel.connectionStatus !== 'connected') {
        // The library gives a kernel up as dead when the websocket would not reopen and the
        // server then refused to say how the kernel is (a revoked token): not a death.
        void this.lose(options.whyDisconnected);
      } else if (status === 'dead') {
        this.problem = DIED;
        this.finish('died');
      } else if (status === 'restarting' || status === 'autorestarting') {
        this.restartSeen = true;
        setTimeout(() => {
          this.problem ??= 'The kernel was restarted while this ran; its variables are gone.';
          this.finish('died');
        }, 0);
      }
    };
    const onIopub = (_: unknown, msg: { header: { msg_type: string }; content: unknown }): void => {
      if (msg.header.msg_type === 'status' && (msg.content as { execution_state?: string }).execution_state === 'restarting') {
        this.problem = DIED;
        this.finish('died');
      }
    };
    // While the connection comes back, ask why it cannot: the library retries a stopped
    // JupyterHub server or a vanished local server for ever, and a run would never end.
    let watch: NodeJS.Timeout | undefined;
    let unreachableSince: number | undefined;
    const check = async (): Promise<void> => {
      const why = await options.whyDisconnected?.().catch(() => undefined);
      if (this.status !== 'running' || kernel.connectionStatus === 'connected') return;
      if (!why) {
        unreachableSince = undefined;
        return;
      }
      unreachableSince ??= Date.now();
      if (!why.transient || Date.now() - unreachableSince >= UNREACHABLE_GIVE_UP_MS) {
        this.problem ??= why.problem;
        this.finish('lost');
      }
    };
    const onConnection = (_: unknown, status: string): void => {
      if (status === 'connecting' && options.whyDisconnected) {
        watch ??= setInterval(() => void check(), RECONNECT_CHECK_MS);
      } else if (status === 'connected') {
        clearInterval(watch);
        watch = undefined;
        unreachableSince = undefined;
      } else if (status === 'disconnected' && !kernel.isDisposed) {
        // The library gave up reconnecting.
        void this.lose(options.whyDisconnected);
      }
    };
    kernel.iopubMessage.connect(onIopub);
    kernel.statusChanged.connect(onKernelStatus);
    kernel.connectionStatusChanged.connect(onConnection);

    if (options.attachTo) {
      this.msgId = options.attachTo;
      this.follow(kernel);
    } else {
      this.msgId = this.request(kernel, code, options);
    }
  }

  private request(kernel: KernelConnection, code: string, options: ExecuteOptions): string {
    const future = kernel.requestExecute(
      { code, silent: options.silent ?? false, store_history: !(options.silent ?? false), allow_stdin: !!options.onInput, stop_on_error: true },
      true,
    );
    future.onIOPub = (msg) => {
      if (this.outputs.apply(msg)) this.emit();
    };
    if (options.onInput) {
      const ask = options.onInput;
      future.onStdin = async (msg) => {
        if (msg.header.msg_type !== 'input_request') return;
        const content = msg.content as { prompt?: string; password?: boolean };
        const value = await ask(content.prompt ?? '', content.password === true);
        if (value === undefined) {
          // ipykernel turns an interrupt during input() into KeyboardInterrupt in the user's code.
          void kernel.interrupt().catch(() => undefined);
          return;
        }
        future.sendInputReply({ status: 'ok', value }, msg.header as never);
      };
    }
    future.done.then(
      (reply) => {
        const content = reply.content as { status?: string; execution_count?: number };
        if (typeof content.execution_count === 'number' && !options.silent) this.outputs.executionCount = content.execution_count;
        this.finish(content.status === 'ok' ? 'ok' : content.status === 'aborted' ? 'aborted' : 'error');
      },
      (error: unknown) => {
        if (this.losing) return; // the library disposed the connection after giving the kernel up: lose() says why
        if (this.restartSeen) this.problem ??= 'The kernel was restarted while this ran; its variables are gone.';
        this.problem ??= `The connection to the kernel ended before it replied (${error instanceof Error ? error.message : String(error)}).`;
        this.finish(kernel.status === 'dead' || this.restartSeen ? 'died' : 'lost');
      },
    );
    return future.msg.header.msg_id;
  }

  /**
   * Follows an execution another connection started (this window before a reload): its IOPub
   * messages reach every client, and it ends at the kernel's idle status for it.
   */
  private follow(kernel: KernelConnection): void {
    const onMessage = (_: unknown, msg: { header: { msg_type: string }; parent_header: unknown; content: unknown }): void => {
      const parent = (msg.parent_header as { msg_id?: string } | undefined)?.msg_id;
      if (parent !== this.msgId) return;
      if (msg.header.msg_type === 'status') {
        if ((msg.content as { execution_state?: string }).execution_state === 'idle') {
          kernel.iopubMessage.disconnect(onMessage);
          const error = this.outputs.outputs.some((o) => o.type === 'error');
          this.finish(error ? 'error' : 'ok');
        }
        return;
      }
      if (this.outputs.apply(msg)) this.emit();
    };
    kernel.iopubMessage.connect(onMessage);
  }

  /** Ends the run as lost, with the reason the check gives when there is one. */
  private async lose(whyDisconnected: ExecuteOptions['whyDisconnected']): Promise<void> {
    if (this.losing || this.status !== 'running') return;
    this.losing = true;
    const why = await whyDisconnected?.().catch(() => undefined);
    this.problem ??= why?.problem ?? LOST;
    this.finish('lost');
  }

  /** Ends a followed execution whose end we could not see (it finished while nobody was connected). */
  markEnded(status: Exclude<ExecutionStatus, 'running'>): void {
    this.finish(status);
  }

  get durationMs(): number {
    return (this.endedAt ?? Date.now()) - this.startedAt;
  }

  /** Called on every new output and when the execution ends. */
  onChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Resolves when it ends, or after `ms`, whichever is first: the agent's time budget. */
  async settle(ms: number, signal?: AbortSignal): Promise<ExecutionStatus> {
    if (this.status !== 'running') return this.status;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      onAbort = () => resolve();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    await Promise.race([this.done, waited]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    return this.status;
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Sends the code to the kernel; outputs arrive on the returned Execution. */
export function execute(kernel: KernelConnection, code: string, options: ExecuteOptions = {}): Execution {
  return new Execution(kernel, code, options);
}
