import type * as FsModule from 'node:fs';
import { constants, type PathLike } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { note } from './serveWorker';

// Inside a reader worker only: every file a reader opens is noted (an overrun's message, and the
// host's retry, then know which file it was), files that overran before are refused with the
// reason, and read-only opens do not block on a FIFO (a thread blocked in open(2) can never be
// terminated). The readers keep their plain `node:fs` calls; this wraps the module's functions.

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, whose functions are wrapped
const fs = require('node:fs') as typeof FsModule;

let refused: ReadonlyMap<string, string> = new Map();

/** Files to refuse from now on, with why (the message of the overrun they caused). */
export function refuseFiles(files: ReadonlyMap<string, string>): void {
  refused = files;
}

/** The error a refused file's read throws: readers report it as that file's problem. */
export class RefusedFile extends Error {
  readonly code = 'EREFUSED';
}

// O_NONBLOCK does nothing to regular files; on Windows it does not exist (nor do FIFOs).
const NON_BLOCKING_READ = constants.O_NONBLOCK === undefined ? undefined : constants.O_RDONLY | constants.O_NONBLOCK;

function readFlags<F>(flags: F): F | number {
  return NON_BLOCKING_READ !== undefined && (flags === undefined || flags === 'r' || flags === constants.O_RDONLY) ? NON_BLOCKING_READ : flags;
}

function readOptions(options: unknown): unknown {
  if (NON_BLOCKING_READ === undefined) return options;
  if (options === undefined || options === null) return { flag: NON_BLOCKING_READ };
  if (typeof options === 'string') return { encoding: options, flag: NON_BLOCKING_READ };
  const given = options as { flag?: unknown };
  return given.flag === undefined || given.flag === 'r' ? { ...given, flag: NON_BLOCKING_READ } : options;
}

function opening(path: PathLike | number | FileHandle): void {
  if (typeof path === 'number' || (typeof path === 'object' && !(path instanceof URL) && !Buffer.isBuffer(path))) return; // an open file
  const name = path instanceof URL ? fileURLToPath(path) : String(path);
  note(name);
  const why = refused.get(name);
  if (why !== undefined) throw new RefusedFile(why);
}

let watching = false;

export function watchFileOpens(): void {
  if (watching) return;
  watching = true;
  const { openSync, readFileSync } = fs;
  const { open, readFile } = fs.promises;
  type Fn = (...args: unknown[]) => unknown;
  const replace = <T>(target: T, name: keyof T, wrapped: Fn): void => {
    (target as Record<keyof T, unknown>)[name] = wrapped;
  };
  replace(fs, 'openSync', (path, flags, mode) => {
    opening(path as PathLike);
    return (openSync as Fn)(path, readFlags(flags), mode);
  });
  replace(fs, 'readFileSync', (path, options) => {
    opening(path as PathLike);
    return (readFileSync as Fn)(path, readOptions(options));
  });
  // Promise functions reject rather than throw, as fs.promises does.
  const rejecting = (fn: Fn): Fn => (...args) => {
    try {
      return fn(...args);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  replace(fs.promises, 'open', rejecting((path, flags, mode) => {
    opening(path as PathLike);
    return (open as Fn)(path, readFlags(flags), mode);
  }));
  replace(fs.promises, 'readFile', rejecting((path, options) => {
    opening(path as PathLike);
    return (readFile as Fn)(path, readOptions(options));
  }));
  syncBuiltinESMExports();
}
