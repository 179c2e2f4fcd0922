// Runs the jobs core's commands on a cluster through the system `ssh`, so the user's ~/.ssh/config,
// keys, agent, ProxyJump and known_hosts apply exactly as they do in a terminal (no SSH library).
// One multiplexed master connection per host (ControlMaster), so polling costs no new login.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../common/logger';
import { runProcess, type RunResult } from '../../common/process';
import { UnreachableError, type CommandResult, type CommandRunner, type ForwardOptions, type PortForward, type RunOptions } from './commandRunner';
import { sshFailure } from './sshErrors';
import { remoteCommandLine, takeExit255Marker } from './sshRemoteCommand';
import { parseSshTarget, sshTargetArgs, type SshTarget } from './sshTarget';

export interface SshRunnerOptions {
  /** The ssh program; default `ssh` on PATH. */
  readonly sshPath?: string;
  /** An ssh config file in place of ~/.ssh/config (`-F`); the tests' own, never the user's. */
  readonly configFile?: string;
  /** Seconds the master stays up with no command running (ControlPersist); default 300. */
  readonly persistSeconds?: number;
  /** Default 15. */
  readonly connectTimeoutSeconds?: number;
  /** A run's limit when the caller gives none; default 5 min. */
  readonly defaultTimeoutMs?: number;
  /** Default process.platform; the tests pass win32 to check the Windows arguments. */
  readonly platform?: NodeJS.Platform;
  readonly log?: Logger;
}

/** A run that went past its time limit (the local ssh was killed). */
export class CommandTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** A Unix socket's path holds at most 104 bytes on macOS (108 on Linux); ssh adds a 17-character suffix while it binds. */
const MAX_CONTROL_PATH = 104 - 18;

export class SshRunner implements CommandRunner {
  readonly label: string;
  readonly target: SshTarget;
  private readonly ssh: string;
  private readonly platform: NodeJS.Platform;
  private readonly log: Logger;
  private socketDir: string | undefined;
  /** Known up: runs go straight to it. Unknown: the next run checks, and starts one if needed. */
  private masterUp = false;
  private starting: Promise<void> | undefined;
  /** Stops a master start still logging in when the runner is closed. */
  private readonly stopStarting = new AbortController();
  private disposed = false;
  private closing: Promise<void> | undefined;

  constructor(
    target: string | SshTarget,
    private readonly options: SshRunnerOptions = {},
  ) {
    this.target = typeof target === 'string' ? parseSshTarget(target) : target;
    this.label = `${this.target.text} (ssh)`;
    this.ssh = options.sshPath ?? 'ssh';
    this.platform = options.platform ?? process.platform;
    this.log = options.log ?? silentLogger;
  }

  /** Closed (dispose/close): it runs nothing more. */
  get closed(): boolean {
    return this.disposed;
  }

  /** Windows' OpenSSH has no ControlMaster (no Unix sockets for it): there each command logs in anew. */
  get multiplexed(): boolean {
    return this.platform !== 'win32';
  }

  /** The master's socket: short, in a folder only we can read (mkdtemp makes it 0700). */
  get controlPath(): string | undefined {
    if (!this.multiplexed) return undefined;
    if (!this.socketDir) {
      // A long or odd TMPDIR (spaces are split by ssh's option parser) falls back to /tmp.
      const base = tmpdir();
      const usable = join(base, 'mle-ssh-XXXXXX', 'c').length <= MAX_CONTROL_PATH && !/[\s"'%]/.test(base);
      this.socketDir = mkdtempSync(join(usable ? base : '/tmp', 'mle-ssh-'));
    }
    return join(this.socketDir, 'c');
  }

  /** ssh's arguments for one remote command line (exposed for the tests of the Windows fallback). */
  argsFor(remote: string): string[] {
    return [...this.baseArgs(), ...this.controlArgs(), ...sshTargetArgs(this.target), remote];
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (this.disposed) throw new Error(`${this.label}: the runner was closed`);
    if (argv.length === 0) throw new Error('run: no command');
    if (options.signal?.aborted) throw abortReason(options.signal);
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs ?? 300_000;
    const timedOut = (): CommandTimeoutError =>
      new CommandTimeoutError(`${argv[0]} on ${this.target.text} did not finish in ${Math.round(timeoutMs / 1000)} s and was stopped.`);
    if (this.multiplexed) await withLimit(this.ensureMaster(), options.signal, timeoutMs, timedOut);
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    const result = await runProcess(this.ssh, this.argsFor(remoteCommandLine(argv, options.cwd)), {
      timeoutMs: left,
      signal: options.signal,
      input: options.input,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
    return this.settle(result, argv, timedOut, options.signal);
  }

  /**
   * Forwards a loopback port to `host:port` on the cluster's side through the master connection
   * (`ssh -O forward`): no second login, and it goes when the master goes. A port taken between
   * choosing and binding it is chosen again.
   */
  async forward(host: string, port: number, options: ForwardOptions = {}): Promise<PortForward> {
    const { signal } = options;
    if (this.disposed) throw new Error(`${this.label}: the runner was closed`);
    if (!/^[A-Za-z0-9][\w.-]*$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a node and port to forward to: ${host}:${port}`);
    if (!this.multiplexed) throw new UnreachableError(`Forwarding a port to ${host} needs ssh's ControlMaster, which Windows' OpenSSH lacks: open the window on the login node (Remote-SSH) instead.`);
    const limit = ((this.options.connectTimeoutSeconds ?? 15) + 30) * 1000;
    await withLimit(this.ensureMaster(), signal, limit, () => new CommandTimeoutError(`Connecting to ${this.target.text} took more than ${limit / 1000} s.`));
    let last = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const spec = `127.0.0.1:${attempt === 0 && options.localPort ? options.localPort : await freeLoopbackPort()}:${host}:${port}`;
      const result = await runProcess(this.ssh, this.muxArgs('forward', spec), { timeoutMs: limit, ...(signal ? { signal } : {}) });
      if (result.kind === 'cancelled') throw signal ? abortReason(signal) : new DOMException('The forward was cancelled', 'AbortError');
      if (result.kind === 'exited' && result.code === 0) {
        const localPort = Number(spec.split(':')[1]);
        this.log.info(`ssh ${this.target.text}: forwarding 127.0.0.1:${localPort} to ${host}:${port}`);
        return {
          localPort,
          alive: () => listening(localPort),
          close: async () => {
            if (this.disposed) return; // the master (and every forward) is gone with the runner
            await runProcess(this.ssh, this.muxArgs('cancel', spec), { timeoutMs: limit });
          },
        };
      }
      last = result.kind === 'exited' ? result.stderr.trim() : result.kind;
      // The master is gone (a dropped connection): the next try starts one.
      if (/control socket|No such file|Connection refused/i.test(last)) {
        this.masterUp = false;
        await this.ensureMaster();
      } else if (!/forwarding failed|in use/i.test(last)) break;
    }
    throw new UnreachableError(`Could not forward a local port to ${host}:${port} through ${this.target.text}: ${last}`);
  }

  dispose(): void {
    void this.close();
  }

  /** dispose() as a promise: resolves once the master has been told to exit and its folder is gone. */
  close(): Promise<void> {
    this.disposed = true;
    this.stopStarting.abort();
    this.closing ??= new Promise<void>((resolve) => {
      const dir = this.socketDir;
      if (!dir) return resolve();
      const done = (): void => {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch (error) {
          this.log.warn(`ssh ${this.target.text}: could not remove ${dir}: ${String(error)}`);
        }
        resolve();
      };
      if (!existsSync(join(dir, 'c'))) return done();
      // `-O exit` asks the master to end; a master that is already gone just makes it fail.
      const child = spawn(this.ssh, [...this.configArgs(), '-o', `ControlPath=${escapePercent(join(dir, 'c'))}`, '-O', 'exit', ...sshTargetArgs(this.target)], {
        stdio: 'ignore',
        windowsHide: true,
      });
      child.once('error', done);
      child.once('exit', done);
    });
    return this.closing;
  }

  private settle(result: RunResult, argv: readonly string[], timedOut: () => Error, signal?: AbortSignal): CommandResult {
    switch (result.kind) {
      case 'cancelled':
        throw signal ? abortReason(signal) : new DOMException('The command was cancelled', 'AbortError');
      case 'timed-out':
        throw timedOut();
      case 'not-found':
        throw new UnreachableError(`The ssh program could not be run (${result.message}). Install the OpenSSH client, or make sure \`ssh\` is on PATH.`);
      case 'exited': {
        if (result.truncated) throw new Error(`${argv[0]} on ${this.target.text} printed more than ${MAX_OUTPUT_BYTES / 1024 / 1024} MB; it was stopped.`);
        if (result.code === 255) {
          const { stderr, marked } = takeExit255Marker(result.stderr);
          if (marked) return { stdout: result.stdout, stderr, code: 255 };
          this.masterUp = false; // it may be gone with the connection: the next run checks
          this.log.warn(`ssh ${this.target.text}: ${result.stderr.trim()}`);
          throw sshFailure(this.target, result.stderr);
        }
        return { stdout: result.stdout, stderr: result.stderr, code: result.code };
      }
    }
  }

  /** One master per runner, started once even when several runs arrive together. */
  private ensureMaster(): Promise<void> {
    if (this.masterUp) return Promise.resolve();
    this.starting ??= this.startMaster().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startMaster(): Promise<void> {
    const path = this.controlPath!;
    const limit = ((this.options.connectTimeoutSeconds ?? 15) + 30) * 1000;
    if (existsSync(path)) {
      // A socket is there: a live master (after a failed command), or a stale one that `auto` replaces.
      const check = await runProcess(this.ssh, [...this.configArgs(), ...this.controlArgs(), '-O', 'check', ...sshTargetArgs(this.target)], { timeoutMs: limit });
      if (check.kind === 'exited' && check.code === 0) {
        this.masterUp = true;
        return;
      }
    }
    // -f -N: log in, then go to the background as the master (ControlPersist gives it /dev/null
    // for stdio, so this process ends and its pipes close) and run nothing itself.
    const result = await runProcess(this.ssh, [...this.baseArgs(), ...this.controlArgs(), '-f', '-N', ...sshTargetArgs(this.target)], {
      timeoutMs: limit,
      signal: this.stopStarting.signal,
    });
    if (result.kind === 'not-found') throw new UnreachableError(`The ssh program could not be run (${result.message}). Install the OpenSSH client, or make sure \`ssh\` is on PATH.`);
    if (result.kind === 'timed-out') throw new UnreachableError(`Connecting to ${this.target.text} over SSH took more than ${limit / 1000} s.\n${result.stderr.trim()}`);
    if (result.kind === 'cancelled') throw new Error(`${this.label}: the runner was closed`);
    if (result.code !== 0) throw sshFailure(this.target, result.stderr);
    this.masterUp = true;
    this.log.info(`ssh ${this.target.text}: connected (one multiplexed connection)`);
  }

  /** `ssh -O forward|cancel -L spec` to the master: ControlPath only, since ClearAllForwardings would drop the -L. */
  private muxArgs(command: 'forward' | 'cancel', spec: string): string[] {
    return [...this.configArgs(), '-o', `ControlPath=${escapePercent(this.controlPath!)}`, '-O', command, '-L', spec, ...sshTargetArgs(this.target)];
  }

  private configArgs(): string[] {
    return this.options.configFile === undefined ? [] : ['-F', this.options.configFile];
  }

  private baseArgs(): string[] {
    return [
      ...this.configArgs(),
      '-T', // no terminal: output stays byte for byte, stderr apart
      // No agent or X11 forwarding, and none of the config's port forwards: a master held for
      // minutes must not take the ports the user's own `ssh` to the host forwards.
      '-a',
      '-x',
      '-o',
      'ClearAllForwardings=yes',
      // Never a prompt in the extension host (passwords, passphrases, unknown host keys): fail instead.
      // Host keys are checked as the user's config says; never StrictHostKeyChecking=no.
      '-o',
      'BatchMode=yes',
      '-o',
      `ConnectTimeout=${this.options.connectTimeoutSeconds ?? 15}`,
      // A connection that died silently (a laptop's sleep, a dropped VPN) is noticed within 45 s.
      '-o',
      'ServerAliveInterval=15',
      '-o',
      'ServerAliveCountMax=3',
    ];
  }

  private controlArgs(): string[] {
    const path = this.controlPath;
    if (path === undefined) return [];
    // `auto`: a run that finds no master (it died, or persisted out) becomes the new one.
    return ['-o', 'ControlMaster=auto', '-o', `ControlPath=${escapePercent(path)}`, '-o', `ControlPersist=${this.options.persistSeconds ?? 300}`];
  }
}

/** ssh expands %h, %p... in ControlPath: a literal % is written %%. */
function escapePercent(path: string): string {
  return path.replace(/%/g, '%%');
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The command was cancelled', 'AbortError');
}

/** Waits for `promise` unless `signal` aborts or `ms` pass first (the shared master start goes on for the others). */
function withLimit<T>(promise: Promise<T>, signal: AbortSignal | undefined, ms: number, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => end(() => reject(abortReason(signal!)));
    const timer = setTimeout(() => end(() => reject(timedOut())), ms);
    const end = (settle: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => end(() => resolve(value)),
      (error: unknown) => end(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

/** A loopback port free now (the forward binds it a moment later; a lost race is retried). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Whether something listens on a loopback port (a forward's listener lives in the master process). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const end = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3_000, () => end(false));
    socket.once('connect', () => end(true));
    socket.once('error', () => end(false));
  });
}
