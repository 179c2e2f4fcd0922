import picomatch from 'picomatch';
import * as z from 'zod/mini';
import { walkFiles } from './fileWalker';
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

export const listFilesTool = defineTool({
  name: 'list_files',
  description:
    'List files in the workspace (or under a folder), with sizes. Optional glob pattern such as "**/*.py" or "data/**/*.csv". ' +
    'Version control, virtual environments, caches and node_modules are skipped.',
  input: z.object({
    path: z.optional(z.string()),
    pattern: z.optional(z.string()),
    max_results: z.optional(z.int().check(z.minimum(1), z.maximum(2000))),
  }),
  risk: 'read',
  async run(input, { files }, signal) {
    const dir = await files.resolve(input.path ?? '.');
    const match = input.pattern ? picomatch(input.pattern, { dot: false }) : undefined;
    const max = input.max_results ?? 300;
    const { files: found, truncated } = await walkFiles(dir, { limit: match ? 20_000 : max, signal });
    const listed = found
      .map((f) => ({ ...f, shown: files.display(f.path) }))
      .filter((f) => !match || match(f.shown) || match(f.shown.split('/').pop() ?? ''))
      .slice(0, max);
    const lines = listed.map((f) => `${f.shown}  (${formatSize(f.size)})`);
    const note = truncated || listed.length === max ? `\n[stopped at ${listed.length} files; narrow with path or pattern]` : '';
    return { content: lines.length ? lines.join('\n') + note : 'No files matched.', summary: `Listed ${lines.length} files${input.pattern ? ` matching ${input.pattern}` : ''}` };
  },
});

export const searchWorkspaceTool = defineTool({
  name: 'search_workspace',
  description:
    'Search the text of workspace files for a regular expression (JavaScript syntax, case-insensitive unless case_sensitive). ' +
    'Returns matching lines as path:line: text. Use glob to limit the files, e.g. "**/*.py".',
  input: z.object({
    query: z.string().check(z.minLength(1)),
    glob: z.optional(z.string()),
    case_sensitive: z.optional(z.boolean()),
    max_results: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
  }),
  risk: 'read',
  async run(input, { files }, signal) {
    let regex: RegExp;
    try {
      regex = new RegExp(input.query, input.case_sensitive ? '' : 'i');
    } catch (error) {
      throw new ToolInputError(`Invalid regular expression: ${(error as Error).message}`);
    }
    const match = input.glob ? picomatch(input.glob) : undefined;
    const max = input.max_results ?? 100;
    const hits: string[] = [];
    let scanned = 0;
    for (const root of files.roots) {
      const { files: found } = await walkFiles(root.path, { limit: 20_000, signal });
      for (const file of found) {
        if (hits.length >= max || signal.aborted) break;
        const shown = files.display(file.path);
        if (file.size > 1_000_000 || (match && !match(shown))) continue;
        let text: string;
        try {
          text = (await files.readText(shown)).text;
        } catch {
          continue; // binary or unreadable: not searchable
        }
        scanned++;
        const lines = text.split(/\r?\n/);
        for (let i = 0; i < lines.length && hits.length < max; i++) {
          if (regex.test(lines[i]!)) hits.push(`${shown}:${i + 1}: ${lines[i]!.trim().slice(0, 300)}`);
        }
      }
    }
    const note = hits.length >= max ? `\n[stopped at ${max} matches]` : '';
    return { content: hits.length ? hits.join('\n') + note : `No matches in ${scanned} files.`, summary: `Searched for /${input.query}/: ${hits.length} matches` };
  },
});

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
