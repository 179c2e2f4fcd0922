import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../common/errors';
import type { KernelConnection } from '../kernels/jupyterLib';
import { evaluateSilently } from '../kernels/kernelInspection';
import { isVariableName } from '../data/kernel/kernelDatasetSource';
import { KERNEL_FRAME_SOURCE } from './kernelFrameSource';

// A kernel's DataFrame as a file the data engine reads (drift on "two kernel DataFrames", or one
// beside a file): the kernel writes it to its temporary folder through silent requests
// (kernelFrameSource.ts), bounded in size; a kernel on another machine sends it back in base64
// chunks into a local temporary file. dispose() removes both.

/** A column of a CSV the kernel wrote: its engine type, or null when left out (dates, complex). */
export interface FrameColumn {
  readonly name: string;
  /** pandas' dtype, for the reason a column is left out. */
  readonly dtype: string;
  readonly sql: 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' | null;
}

export interface KernelFrameFile {
  /** The variable's name (the report's label). */
  readonly label: string;
  /** A local path the engine can read. */
  readonly path: string;
  readonly format: 'csv' | 'parquet';
  readonly rows: number;
  readonly bytes: number;
  /** CSV only: how to read each column (Parquet carries its types). */
  readonly columns: readonly FrameColumn[];
  /** Whether the file came over the kernel's connection (a kernel on another machine). */
  readonly copied: boolean;
  dispose(): Promise<void>;
}

export interface KernelFrameOptions {
  /** Largest file the kernel may write (default 2 GB). */
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  /** Write CSV even where Parquet could be written (tests). */
  readonly csv?: boolean;
  /** Copy over the connection even when the file is visible here (tests). */
  readonly copy?: boolean;
}

export const MAX_FRAME_BYTES = 2_000_000_000;
/** Bytes per chunk sent back by a remote kernel (base64 makes it 4/3 larger on the wire). */
const CHUNK_BYTES = 8 * 1024 * 1024;

interface Written {
  readonly path: string;
  readonly format: 'csv' | 'parquet';
  readonly bytes: number;
  readonly rows: number;
  readonly columns: readonly FrameColumn[];
}

/** Calls `fn` of the Python source, with the user's globals first when `withGlobals`. */
async function call<T>(kernel: KernelConnection, fn: string, args: readonly unknown[], signal: AbortSignal, timeoutMs: number, withGlobals = false): Promise<T> {
  if (kernel.isDisposed) throw new UserError('The connection to the kernel is closed (was the notebook closed?).');
  // A fresh namespace per request: the source is exec'd there, so nothing lands in the user's
  // globals or sys.modules. Arguments travel as JSON text, never as code.
  const argList = [...(withGlobals ? ['globals()'] : []), ...args.map((a) => `__import__("json").loads(${JSON.stringify(JSON.stringify(a))})`)].join(', ');
  const expression = `(lambda d: (exec(${JSON.stringify(KERNEL_FRAME_SOURCE)}, d), d["reply"](d[${JSON.stringify(fn)}], ${argList}))[1])({})`;
  const text = await evaluateSilently(kernel, expression, timeoutMs, 'DataFrame export', signal);
  let reply: { ok?: T; problem?: string; error?: string };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    throw new Error(`the kernel answered with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (reply.problem !== undefined) throw new UserError(reply.problem);
  if (reply.error !== undefined) throw new Error(`writing the DataFrame in the kernel failed: ${reply.error}`);
  if (reply.ok === undefined) throw new Error('the kernel gave no answer');
  return reply.ok;
}

/** Has the kernel write `variable` to a temporary file and gives its local path. */
export async function kernelFrameFile(kernel: KernelConnection, variable: string, signal: AbortSignal, options: KernelFrameOptions = {}): Promise<KernelFrameFile> {
  if (!isVariableName(variable)) throw new UserError(`${variable} is not a variable name`);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  const written = await call<Written>(kernel, 'write', [variable, maxBytes, !options.csv], signal, timeoutMs, true);
  const removeRemote = async (): Promise<void> => {
    if (kernel.isDisposed) return;
    await call(kernel, 'remove', [written.path], AbortSignal.timeout(30_000), 30_000).catch(() => undefined);
  };
  const visible = !options.copy && existsSync(written.path) && statSync(written.path).size === written.bytes;
  if (visible) return { label: variable, ...written, copied: false, dispose: removeRemote };
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'ml-engineer-frame-'));
    const local = join(dir, `frame.${written.format}`);
    await copyOver(kernel, written.path, written.bytes, local, signal, timeoutMs);
    const made = dir;
    return {
      label: variable,
      ...written,
      path: local,
      copied: true,
      dispose: async () => {
        rmSync(made, { recursive: true, force: true });
        await removeRemote();
      },
    };
  } catch (error) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await removeRemote();
    throw error;
  }
}

async function copyOver(kernel: KernelConnection, remote: string, bytes: number, local: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const out = createWriteStream(local);
  try {
    for (let offset = 0; offset < bytes; offset += CHUNK_BYTES) {
      const chunk = Buffer.from(await call<string>(kernel, 'read', [remote, offset, CHUNK_BYTES], signal, timeoutMs), 'base64');
      if (chunk.length === 0) throw new Error(`the kernel's file ended at ${offset} of ${bytes} bytes`);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
