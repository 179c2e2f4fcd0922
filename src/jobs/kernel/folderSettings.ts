import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors';
import { SETTINGS } from '../../commandIds';
import { kernelPythonFor, type KernelPython } from './kernelPython';

// `mlEngineer.jobs.kernelPython` for the surfaces without an editor (`ml-engineer ask`, the MCP
// server, `ml-engineer jobs --start-kernel`): read from the folder's .vscode/settings.json, which
// is JSONC as VS Code writes it (comments, trailing commas), then checked as strictly as the
// editor checks it (kernelPython.ts). A file that cannot be read as JSONC is an error saying
// where, never a silent default: the job would start another Python than the one asked for.

/** The setting's value in `folder`'s .vscode/settings.json; undefined when the file or the key is absent. */
export function folderSetting(folder: string, key: string): unknown {
  const path = join(folder, '.vscode', 'settings.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let settings: unknown;
  try {
    settings = parseJsonc(text);
  } catch (error) {
    throw new UserError(`${path} cannot be read for ${key}: ${(error as Error).message}`);
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return undefined;
  return Object.hasOwn(settings, key) ? (settings as Record<string, unknown>)[key] : undefined;
}

/** The kernel job's Python for `cluster`: `explicit` (the CLI's --python) wins, else the folder's setting; undefined: the default. */
export function folderKernelPython(folder: string, cluster: string, explicit?: string): KernelPython | undefined {
  if (explicit) return withFrom(kernelPythonFor(explicit, cluster), '--python');
  return withFrom(kernelPythonFor(folderSetting(folder, SETTINGS.jobKernelPython), cluster), '.vscode/settings.json');
}

// A folder's settings file is not trusted as the editor's settings are: the value is named, with its origin, where it is approved or used.
function withFrom(chosen: KernelPython | undefined, from: string): KernelPython | undefined {
  return chosen && { ...chosen, from };
}

/** JSON with // and /* *\/ comments and trailing commas (VS Code's settings files); anything else JSON.parse refuses. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      // A string, copied whole: a "//" inside it is text.
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= n) throw new Error('a string is not closed');
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error('a /* comment is not closed');
      out += ' ';
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  // A comma before } or ] (only whitespace between, comments gone, strings copied as they were).
  return JSON.parse(dropTrailingCommas(out)) as unknown;
}

function dropTrailingCommas(json: string): string {
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      out += json.slice(i, j + 1);
      i = j;
    } else if (c === ',') {
      let k = i + 1;
      while (k < json.length && /\s/.test(json[k]!)) k++;
      if (json[k] !== '}' && json[k] !== ']') out += c;
    } else out += c;
  }
  return out;
}
