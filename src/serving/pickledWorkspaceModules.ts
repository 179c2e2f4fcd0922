import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelInfo } from '../models/modelInfo';

// The workspace code a served pickle imports: the app puts MODEL_CODE_DIR (the workspace root) on
// sys.path while it unpickles, so a module the pickle names that is <root>/<name>.py or a package
// folder there runs too. Serve's approval names these files and covers their content hashes, so a
// module changed after "Allow for this chat" is asked about again (review 10b S5).

const MAX_FILES = 200;

export interface WorkspaceModuleFile {
  readonly file: string;
  readonly sha256: string;
}

/** Each .py file of the workspace modules the pickle names, with its content hash; [] for other models. */
export function pickledWorkspaceModules(info: ModelInfo, root: string): WorkspaceModuleFile[] {
  const files: string[] = [];
  for (const name of info.pickledModules ?? []) {
    if (!/^[A-Za-z_]\w*$/.test(name)) continue;
    if (isFile(join(root, `${name}.py`))) files.push(join(root, `${name}.py`));
    else if (isDir(join(root, name))) pythonFiles(join(root, name), files);
  }
  return files.slice(0, MAX_FILES).map((file) => ({ file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') }));
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
