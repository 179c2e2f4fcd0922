import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isSameOrInside, type PathModule } from '../../common/pathInside';
import { runProcess } from '../../common/process';
import { SKIPPED_FOLDERS } from './fileWalker';
import { ToolInputError } from './toolInputError';

/**
 * ripgrep in a child process for the file tools: a model-written regex never runs on the
 * extension host's thread (rg's engine is linear in the input, so no pattern backtracks forever),
 * .gitignore is respected, symlinks are not followed out of the workspace, and every run has a
 * timeout, a line cap and the conversation's cancellation.
 */
export interface RipgrepRun {
  /** The rg binary: VS Code's own inside the editor (findRipgrep), `rg` on PATH in plain Node. */
  readonly rg: string;
  /** The absolute folder (or file) inside the workspace to walk; the glob is relative to it. */
  readonly target: string;
  /** The model's glob ("*.py", "data/**\/*.csv", "!*.csv"). */
  readonly glob?: string;
  readonly timeoutMs: number;
  /** Stop rg once it has printed this many lines. */
  readonly maxLines: number;
  readonly signal: AbortSignal;
}

export interface RipgrepOutput {
  /** Complete output lines, at most maxLines. */
  readonly lines: readonly string[];
  /** Stopped at maxLines: there may be more. */
  readonly capped: boolean;
  /** Stopped by the timeout: the lines are what it found until then. */
  readonly timedOut: boolean;
}

// --no-config: a user's RIPGREP_CONFIG_PATH must not change what the tools see. --no-require-git:
// a .gitignore counts in a folder that is not (yet) a repository too. --hidden with the skipped
// folders excluded by name, as the tools have always listed dot files such as .github/.
const COMMON_ARGS = ['--no-config', '--no-require-git', '--hidden', '--no-messages', '--color=never'];
const SKIPPED = [...SKIPPED_FOLDERS].map((name) => `--glob=!${name}/`);

export async function ripgrep(args: readonly string[], run: RipgrepRun): Promise<RipgrepOutput> {
  const isDir = (await fs.stat(run.target).catch(() => undefined))?.isDirectory() ?? false;
  const plan = isDir && run.glob ? globPlan(run.glob) : { kind: 'all' as const };
  let target = run.target;
  const filter: string[] = [];
  if (plan.kind === 'names') {
    target = await globFolder(run.target, plan.folder, run.glob!);
    if (!(await fs.stat(target).catch(() => undefined))?.isDirectory()) return { lines: [], capped: false, timedOut: false };
    filter.push(`--type-add=mle:${plan.name}`, '--type=mle', ...(plan.anyDepth ? [] : ['--max-depth=1']));
  } else if (plan.kind === 'override') {
    filter.push(`--glob=${plan.glob}`);
  }
  const result = await runProcess(run.rg, [...COMMON_ARGS, ...args, ...filter, ...SKIPPED, '--', target], {
    cwd: isDir ? run.target : path.dirname(run.target),
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    maxStdoutLines: run.maxLines,
    maxOutputBytes: 8 * 1024 * 1024,
  });
  switch (result.kind) {
    case 'not-found':
      throw new Error(`ripgrep, which searches and lists files, could not be started (${result.message}). Install ripgrep (rg) or reinstall the editor.`);
    case 'cancelled':
      run.signal.throwIfAborted();
      throw new Error('the search was cancelled');
    case 'timed-out':
      return { lines: completeLines(result.stdout, run.maxLines), capped: false, timedOut: true };
    case 'exited':
      // 0: found, 1: nothing found, 2: an error (with --no-messages, only a fatal one such as a
      // bad regex is printed; unreadable files are skipped silently).
      if (result.code === 2 && result.stderr.trim()) throw new ToolInputError(`ripgrep refused the search: ${result.stderr.trim().replace(/^rg: /, '')}`);
      return { lines: completeLines(result.stdout, run.maxLines), capped: result.truncated, timedOut: false };
  }
}

/**
 * The folder a glob's literal part names ("data/raw" of "data/raw/*.csv") below the target, kept
 * inside it as the file tools' paths are: rg walks a folder it is given even when it is a symbolic
 * link (a link in the workspace to ~/.ssh listed and searched what it holds), and on Windows a
 * backslash in the glob is a separator ("..\\..\\Users/*" climbed out).
 */
export async function globFolder(target: string, folder: string, glob: string, p: PathModule & Pick<typeof path, 'join'> = path): Promise<string> {
  const joined = p.join(target, folder);
  const outside = (): ToolInputError => new ToolInputError(`The pattern "${glob}" leads outside the folder searched; give a folder inside the workspace as path instead.`);
  if (!isSameOrInside(target, joined, p)) throw outside();
  const real = await fs.realpath(joined).catch(() => undefined);
  if (real !== undefined && !isSameOrInside(await fs.realpath(target), real, p)) throw outside();
  return joined;
}

export type GlobPlan =
  | { readonly kind: 'all' }
  /** Files whose name matches `name` in `folder` (relative, '/'-separated; '' is the target), at any depth or directly in it. */
  | { readonly kind: 'names'; readonly folder: string; readonly name: string; readonly anyDepth: boolean }
  /** rg's --glob, for shapes the above cannot say (wildcards in folder names) and exclusions. */
  | { readonly kind: 'override'; readonly glob: string };

const WILDCARD = /[*?[\]{}]/;

/**
 * How to apply the model's glob. rg's --glob overrides every ignore rule, so a file .gitignore
 * names would be listed if it matched "*.py"; a file type (matched on the name, after the ignore
 * rules) and a folder to walk say the same and keep .gitignore in force. Only globs with
 * wildcards in folder names ("**\/tests/*.py") fall back to --glob; ignored folders are still
 * not entered then.
 */
export function globPlan(glob: string): GlobPlan {
  let g = glob.trim().replace(/^\.\//, '');
  if (g.startsWith('!')) return { kind: 'override', glob: g };
  const anchored = g.startsWith('/');
  g = g.replace(/^\/+/, '');
  if (g.endsWith('/')) g += '**';
  const segments = g.split('/').filter((s) => s !== '' && s !== '.');
  const literal: string[] = [];
  while (segments.length > 1 && !WILDCARD.test(segments[0]!) && segments[0] !== '..') literal.push(segments.shift()!);
  const folder = literal.join('/');
  if (segments.some((s) => s === '..')) return { kind: 'override', glob };
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '**')) return folder ? { kind: 'names', folder, name: '*', anyDepth: true } : { kind: 'all' };
  if (segments.length === 2 && segments[0] === '**' && !segments[1]!.includes('**')) return { kind: 'names', folder, name: segments[1]!, anyDepth: true };
  if (segments.length === 1 && !segments[0]!.includes('**')) {
    // gitignore's rule: a glob without a slash matches names at any depth; with one, it is anchored.
    return { kind: 'names', folder, name: segments[0]!, anyDepth: folder === '' && !anchored };
  }
  return { kind: 'override', glob };
}

/** Lines that ended with a newline (a killed rg may leave half a line), at most `max`. */
function completeLines(stdout: string, max: number): string[] {
  const lines = stdout.split('\n');
  lines.pop(); // the text after the last newline: empty, or cut off
  return lines.slice(0, max);
}

/**
 * Where VS Code keeps ripgrep under `vscode.env.appRoot`: `@vscode/ripgrep`'s bin folder (its
 * postinstall layout), or its per-platform package (newer layouts), in the unpacked copy of an
 * asar-packed node_modules or in node_modules itself.
 */
export function ripgrepCandidates(appRoot: string, platform: NodeJS.Platform = process.platform, arch: string = process.arch): string[] {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const exe = platform === 'win32' ? 'rg.exe' : 'rg';
  const packages = ['@vscode/ripgrep', `@vscode/ripgrep-${platform}-${arch}`];
  return ['node_modules.asar.unpacked', 'node_modules'].flatMap((folder) => packages.map((pkg) => p.join(appRoot, folder, pkg, 'bin', exe)));
}

/** The first executable candidate under appRoot; else `rg`, looked up on PATH. */
export async function findRipgrep(appRoot: string | undefined): Promise<string> {
  for (const candidate of appRoot ? ripgrepCandidates(appRoot) : []) {
    const executable = await fs.access(candidate, process.platform === 'win32' ? constants.F_OK : constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable) return candidate;
  }
  return 'rg';
}
