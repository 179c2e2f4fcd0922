import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { ModelInfo } from '../models/modelInfo';
import { APPROVED_MODULES_ENV } from './userModules';

// The workspace code a served pickle imports: a module the pickle names that is <root>/<name>.py or
// a package folder there runs as it loads, and so do the workspace modules those import. Serve's
// approval names these files and covers their content hashes, so a module changed after "Allow for this chat" is asked about again (review 10b
// S5), and the app is started holding them (approvedModulesEnv): it runs those files, checked again.

const MAX_FILES = 200;

export interface WorkspaceModuleFile {
  readonly file: string;
  readonly sha256: string;
}

/**
 * Each .py file of the workspace modules the pickle names, and of those their import statements
 * name in turn (a top-level module of the workspace, transitively), with its content hash; [] for
 * other models. A module is <root>/<name>.py or its package folder, approved whole (so a package's
 * own submodules are in already). The imports are read from the text here, before the card is
 * drawn, with no Python started for it; what they miss (an import built at run time) is refused by
 * the app, which runs no workspace module the approval does not hold (userModules.ts).
 */
export function pickledWorkspaceModules(info: ModelInfo, root: string): WorkspaceModuleFile[] {
  const files: string[] = [];
  const names = [...(info.pickledModules ?? [])];
  const seen = new Set<string>();
  for (let i = 0; i < names.length && files.length < MAX_FILES; i++) {
    const name = names[i]!;
    if (!/^[A-Za-z_]\w*$/.test(name) || seen.has(name)) continue;
    seen.add(name);
    const from = files.length;
    if (isFile(join(root, `${name}.py`))) files.push(join(root, `${name}.py`));
    else if (isDir(join(root, name))) pythonFiles(join(root, name), files);
    for (const file of files.slice(from)) names.push(...importedNames(readFileSync(file, 'utf8')));
  }
  return files.slice(0, MAX_FILES).map((file) => ({ file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') }));
}

/**
 * The top-level modules a module's absolute import statements name (`import a.b, c as d`,
 * `from a.b import x`), wherever they stand (a function's, a try block's, after `;` or `:`).
 * A relative import stays in its package, approved whole. One that only looks like an import (in
 * a docstring) can only name one more file on the card.
 */
export function importedNames(source: string): string[] {
  const names: string[] = [];
  for (const m of source.replace(/\\\r?\n/g, ' ').matchAll(/(?:^|[;:])[ \t]*(?:import[ \t]+([^\n#;]+)|from[ \t]+([A-Za-z_]\w*)[\w. \t]*import\b)/gm)) {
    if (m[2]) names.push(m[2]);
    else for (const part of m[1]!.split(',')) names.push(...(/^\s*([A-Za-z_]\w*)/.exec(part)?.slice(1) ?? []));
  }
  return names;
}

/**
 * The served app's environment that holds it to these files (userModules.ts): each module the
 * approval named is run from its file, and only while its sha256 is the approved one.
 */
export function approvedModulesEnv(modules: readonly WorkspaceModuleFile[], root: string): Record<string, string> {
  if (!modules.length) return {};
  const named = modules.map((m) => {
    const parts = relative(root, m.file).split(sep);
    parts[parts.length - 1] = parts.at(-1)!.replace(/\.py$/, '');
    if (parts.at(-1) === '__init__') parts.pop();
    return [parts.join('.'), [m.file, m.sha256]] as const;
  });
  return { [APPROVED_MODULES_ENV]: JSON.stringify({ root, modules: Object.fromEntries(named) }) };
}

/**
 * Why an app cannot be served with these approved modules: one written by an earlier ML Engineer
 * ignores the environment and would run whatever files it finds, so it is refused, never rewritten
 * behind the user's back (as olderAppWarning). Undefined when it holds itself to them.
 */
export function approvalNotHeld(app: { appDir: string; module: string; env?: Readonly<Record<string, string>> }): string | undefined {
  if (!app.env?.[APPROVED_MODULES_ENV]) return undefined;
  const file = `${join(app.appDir, ...app.module.split('.'))}.py`;
  try {
    if (readFileSync(file, 'utf8').includes(APPROVED_MODULES_ENV)) return undefined;
  } catch {
    return undefined; // no app file: the start says so
  }
  return `${basename(file)} in ${basename(app.appDir)} was written by an earlier ML Engineer: it would import the workspace modules the model needs from wherever it finds them, not only the approved files. Nothing was started: delete this folder and serve the model file again (it asks before writing).`;
}

function pythonFiles(dir: string, into: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (into.length >= MAX_FILES) return;
    if (entry.isFile() && entry.name.endsWith('.py')) into.push(join(dir, entry.name));
    else if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== '__pycache__') pythonFiles(join(dir, entry.name), into);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
