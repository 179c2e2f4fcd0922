import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Kill the process after this long. Every process we start has one. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  /** Output past this many bytes per stream is dropped (and `truncated` set). Default 4 MiB. */
  readonly maxOutputBytes?: number;
  /**
   * Kill the process once stdout holds this many lines (the caller has read enough: a search's
   * match cap). The result is then 'exited' with `truncated` set and code null.
   */
  readonly maxStdoutLines?: number;
}

export type RunResult =
  | {
      readonly kind: 'exited';
      readonly code: number | null;
      readonly stdout: string;
      readonly stderr: string;
      readonly truncated: boolean;
      readonly durationMs: number;
    }
  /** The executable does not exist or is not executable (ENOENT/EACCES). */
  | { readonly kind: 'not-found'; readonly message: string }
  | { readonly kind: 'timed-out'; readonly stdout: string; readonly stderr: string; readonly timeoutMs: number }
  | { readonly kind: 'cancelled' };

const DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Runs a program without a shell (arguments are never interpreted), collecting its output.
 * Never rejects: every way a run can end is a RunResult, so callers must handle each one.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ kind: 'cancelled' });
      return;
    }
    const started = performance.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let settled = false;
    let stdoutLines = 0;
    let ending: 'timed-out' | 'cancelled' | 'enough' | undefined;

    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      // Its own process group on POSIX, so a kill reaches what it started too (a shell
      // script's `sleep` would otherwise hold our pipes open after the script is killed).
      detached: process.platform !== 'win32',
    });

    const collect = (chunks: Buffer[], size: number, chunk: Buffer): number => {
      const room = max - size;
      if (room <= 0) {
        truncated = true;
        return size;
      }
      if (chunk.length > room) {
        truncated = true;
        chunks.push(chunk.subarray(0, room));
        return max;
      }
      chunks.push(chunk);
      return size + chunk.length;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes = collect(out, outBytes, chunk);
      if (options.maxStdoutLines === undefined || ending) return;
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) stdoutLines++;
      if (stdoutLines >= options.maxStdoutLines) {
        truncated = true;
        stop('enough');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (errBytes = collect(err, errBytes, chunk)));

    const finish = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const stop = (why: 'timed-out' | 'cancelled' | 'enough'): void => {
      ending = why;
      killTree(child.pid, () => child.kill('SIGKILL'));
    };
    const onAbort = (): void => stop('cancelled');
    const timer = setTimeout(() => stop('timed-out'), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        finish({ kind: 'not-found', message: `${command}: ${error.code === 'ENOENT' ? 'not found' : 'permission denied'}` });
      } else {
        finish({ kind: 'not-found', message: `${command}: ${error.message}` });
      }
    });
    const settle = (code: number | null): void => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (ending === 'cancelled') finish({ kind: 'cancelled' });
      else if (ending === 'timed-out') finish({ kind: 'timed-out', stdout, stderr, timeoutMs: options.timeoutMs });
      else finish({ kind: 'exited', code, stdout, stderr, truncated, durationMs: performance.now() - started });
    };
    // After a kill, 'exit' is enough: stray descendants may keep the pipes open.
    child.on('exit', (code) => {
      if (ending) settle(code);
    });
    child.on('close', settle);
    // A program that exits without reading its stdin makes the write fail with EPIPE: that is fine.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

function killTree(pid: number | undefined, fallback: () => void): void {
  if (pid === undefined || process.platform === 'win32') {
    fallback();
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    fallback();
  }
}

/** A long-lived child (a server): its output as lines, its end, and a stop that reaches its process group. */
export interface TrackedProcess {
  readonly pid: number | undefined;
  /** Resolves when it has exited, with its code or signal; never rejects. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>;
  /** SIGTERM to the group, SIGKILL after `graceMs` (default 3 s); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Writes to its stdin lifeline (a message the child reads: a server told to keep running). */
  send?(text: string): void;
}

export interface TrackedOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Each line of stdout and stderr as it comes (a line over 64 KiB is cut). */
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Its stdin a pipe we hold open and write only through send(): it reads end-of-file when this process ends,
   * however it ends (killed, crashed), so a child that watches it stops instead of living on.
   */
  readonly stdinLifeline?: boolean;
}

/**
 * Starts a program that runs until stopped (a model server), without a shell, in its own process
 * group on POSIX so a stop reaches what it started (uvicorn's workers).
 */
export function startTracked(command: string, args: readonly string[], options: TrackedOptions): TrackedProcess {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdinLifeline ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    windowsHide: true,
    detached: process.platform !== 'win32',
  });
  // A child that exits first must not make the pipe an error of ours.
  child.stdin?.on('error', () => undefined);
  const lines = (stream: 'stdout' | 'stderr'): ((chunk: Buffer) => void) => {
    let rest = '';
    return (chunk) => {
      rest += chunk.toString('utf8');
      let at;
      while ((at = rest.indexOf('\n')) >= 0) {
        options.onLine(rest.slice(0, Math.min(at, 65_536)).replace(/\r$/, ''), stream);
        rest = rest.slice(at + 1);
      }
      if (rest.length > 65_536) {
        options.onLine(rest.slice(0, 65_536), stream);
        rest = '';
      }
    };
  };
  child.stdout?.on('data', lines('stdout'));
  child.stderr?.on('data', lines('stderr'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: `${command}: ${error.code === 'ENOENT' ? 'not found' : error.message}` }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.pid !== undefined && process.platform !== 'win32') {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // The group is gone or not ours: signal the child itself.
      }
    }
    child.kill(signal);
  };
  return {
    pid: child.pid,
    exited,
    send: (text) => void child.stdin?.write(text),
    async stop(graceMs = 3000) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
