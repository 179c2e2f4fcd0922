import { promises as fs } from 'node:fs';
import * as z from 'zod/mini';
import { ripgrep } from './ripgrep';
import { defineTool, ToolInputError } from './tool';

const MAX_READ_LINES = 2000;
const MAX_LINE_CHARS = 2000;

export const readFileTool = defineTool({
  name: 'read_file',
  description:
    'Read a text file in the workspace, with line numbers. For long files pass start_line/end_line (1-based, inclusive). ' +
    'For notebooks (.ipynb) use read_notebook instead, which summarises outputs.',
  input: z.object({
    path: z.string().check(z.minLength(1)),
    start_line: z.optional(z.int().check(z.minimum(1))),
    end_line: z.optional(z.int().check(z.minimum(1))),
  }),
  risk: 'read',
  async run(input, { files }) {
    const { path, text } = await files.readText(input.path);
    const lines = text.split(/\r?\n/);
    const start = input.start_line ?? 1;
    const end = Math.min(input.end_line ?? start + MAX_READ_LINES - 1, lines.length, start + MAX_READ_LINES - 1);
    if (start > lines.length) throw new ToolInputError(`${input.path} has only ${lines.length} lines.`);
    const width = String(end).length;
    const body = lines
      .slice(start - 1, end)
      .map((line, i) => `${String(start + i).padStart(width)}  ${line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… [line cut]` : line}`)
      .join('\n');
    const more = end < lines.length ? `\n[lines ${end + 1}-${lines.length} not shown; ask for them with start_line]` : '';
    return { content: `${files.display(path)} (lines ${start}-${end} of ${lines.length})\n${body}${more}`, summary: `Read ${files.display(path)} (${end - start + 1} lines)` };
  },
});

/** The timeouts of one tool call's rg runs, all folders together. */
export const LIST_TIMEOUT_MS = 15_000;
export const SEARCH_TIMEOUT_MS = 30_000;

export const listFilesTool = defineTool({
  name: 'list_files',
  description:
    'List files in the workspace (or under a folder), with sizes, sorted by path. Optional glob pattern such as "*.py" or "data/**/*.csv", ' +
    'relative to the folder listed (a pattern without "/" matches file names at any depth). Files ignored by .gitignore, version control, ' +
    'virtual environments, caches and node_modules are skipped.',
  input: z.object({
    path: z.optional(z.string()),
    pattern: z.optional(z.string()),
    max_results: z.optional(z.int().check(z.minimum(1), z.maximum(2000))),
  }),
  risk: 'read',
  async run(input, context, signal) {
    const { files } = context;
    const dir = await files.resolve(input.path ?? '.');
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new ToolInputError(`${input.path} is not a folder in the workspace.`);
    const max = input.max_results ?? 300;
    const output = await ripgrep(['--files', '--sort=path'], {
      rg: context.ripgrep ?? 'rg',
      target: dir,
      ...(input.pattern ? { glob: input.pattern } : {}),
      timeoutMs: LIST_TIMEOUT_MS,
      maxLines: max + 1, // one more than shown: tells whether there are more
      signal,
    });
    const listed = await Promise.all(
      output.lines.slice(0, max).map(async (path) => `${files.display(path)}  (${formatSize((await fs.stat(path).catch(() => undefined))?.size ?? 0)})`),
    );
    const note = output.timedOut
      ? `\n[listing stopped after ${LIST_TIMEOUT_MS / 1000} s at ${listed.length} files; narrow with path or pattern]`
      : output.lines.length > max || output.capped
        ? `\n[stopped at ${listed.length} files; narrow with path or pattern]`
        : '';
    return { content: listed.length ? listed.join('\n') + note : `No files matched.${note}`, summary: `Listed ${listed.length} files${input.pattern ? ` matching ${input.pattern}` : ''}` };
  },
});

export const searchWorkspaceTool = defineTool({
  name: 'search_workspace',
  description:
    'Search the text of workspace files for a regular expression (ripgrep\'s Rust syntax: like JavaScript\'s without look-around or ' +
    'backreferences; case-insensitive unless case_sensitive). Returns matching lines as path:line: text. Use path to search one folder ' +
    'or file, and glob to limit the files, e.g. "*.py" or "src/**/*.py" (relative to the folder searched). Files ignored by .gitignore, ' +
    'binary files and files over 2 MB are skipped.',
  input: z.object({
    query: z.string().check(z.minLength(1)),
    glob: z.optional(z.string()),
    path: z.optional(z.string()),
    case_sensitive: z.optional(z.boolean()),
    max_results: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
  }),
  risk: 'read',
  async run(input, context, signal) {
    const { files } = context;
    const max = input.max_results ?? 100;
    let targets: string[];
    if (input.path !== undefined) {
      const path = await files.resolve(input.path);
      const stat = await fs.stat(path).catch(() => undefined);
      // A FIFO or device would block rg until the timeout; only files and folders are searched.
      if (!stat?.isDirectory() && !stat?.isFile()) throw new ToolInputError(`${input.path} is not a file or folder in the workspace.`);
      targets = [path];
    } else {
      targets = files.roots.map((root) => root.path);
    }
    if (targets.length === 0) throw new ToolInputError('No folder is open in the editor, so there is nothing to search.');
    const args = ['--line-number', '--with-filename', '--no-heading', '--null', '--max-columns=300', '--max-columns-preview', '--max-filesize=2M'];
    args.push(input.case_sensitive ? '--case-sensitive' : '--ignore-case', '--regexp', input.query);
    const deadline = Date.now() + SEARCH_TIMEOUT_MS;
    const hits: string[] = [];
    let capped = false;
    let timedOut = false;
    for (const target of targets) {
      if (hits.length >= max || timedOut) break;
      const output = await ripgrep(args, {
        rg: context.ripgrep ?? 'rg',
        target,
        ...(input.glob ? { glob: input.glob } : {}),
        timeoutMs: Math.max(1, deadline - Date.now()),
        maxLines: max - hits.length,
        signal,
      });
      capped ||= output.capped;
      timedOut ||= output.timedOut;
      for (const line of output.lines) {
        const nul = line.indexOf('\0');
        const colon = line.indexOf(':', nul);
        if (nul < 0 || colon < 0) continue;
        hits.push(`${files.display(line.slice(0, nul))}:${line.slice(nul + 1, colon)}: ${line.slice(colon + 1).trim().slice(0, 300)}`);
      }
    }
    const note = timedOut
      ? `\n[search stopped after ${SEARCH_TIMEOUT_MS / 1000} s with ${hits.length} matches; narrow with glob or path]`
      : capped || hits.length >= max
        ? `\n[stopped at ${hits.length} matches; there may be more: narrow with glob or path, or raise max_results]`
        : '';
    return {
      content: hits.length ? hits.join('\n') + note : `No matches.${note}`,
      summary: `Searched for /${input.query}/: ${hits.length}${capped || timedOut ? '+' : ''} matches`,
    };
  },
});

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
