import type { ParseArgsConfig } from 'node:util';

/** Where a subcommand writes; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/**
 * One `ml-engineer <name>` subcommand. Features add theirs to `subcommands.ts`
 * (`inspect`, `runs`, `gpu` ...); each supports `--json` for scripts.
 */
export interface Subcommand {
  readonly name: string;
  /** One line for `ml-engineer --help`. */
  readonly summary: string;
  /** Full usage text for `ml-engineer <name> --help`. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the process exit code. */
  run(args: ParsedArgs, io: CliIo, signal: AbortSignal): Promise<number>;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

export const EXIT = { ok: 0, failure: 1, usage: 2, cancelled: 130 } as const;
