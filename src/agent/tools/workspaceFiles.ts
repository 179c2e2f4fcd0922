import { promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../../common/atomicWrite';
import { isSameOrInside } from '../../common/pathInside';
import { FileTooLarge, NotARegularFile, readRegularFile } from '../../common/regularFile';
import { symlinkOnPath } from '../../common/symlinks';
import { ToolInputError } from './toolInputError';

export interface WorkspaceRoot {
  readonly name: string;
  readonly path: string;
}

/**
 * The agent's view of the files: only inside the workspace folders. A path is refused when
 * it is absolute outside them, climbs out with `..`, or resolves out through a symlink.
 * Paths the model sees and writes are relative to the first folder, or `<folder name>/...`
 * in a multi-root workspace.
 */
export class WorkspaceFiles {
  constructor(readonly roots: readonly WorkspaceRoot[]) {}

  /** The absolute, real path for a path the model gave; throws ToolInputError if outside. */
  async resolve(userPath: string): Promise<string> {
    if (this.roots.length === 0) throw new ToolInputError('No folder is open in the editor, so there are no files to work with.');
    const cleaned = userPath.trim().replace(/^\.\/+/, '') || '.';
    const candidate = this.candidatePath(cleaned);
    const root = this.rootOf(candidate);
    if (!root) throw new ToolInputError(`${userPath} is outside the workspace; only files inside ${this.roots.map((r) => r.path).join(', ')} can be used.`);
    // Symlinks: the real path of the nearest existing ancestor must stay inside a real root.
    const real = await realpathOfExisting(candidate);
    const realRoots = await Promise.all(this.roots.map((r) => fs.realpath(r.path).catch(() => r.path)));
    if (!realRoots.some((r) => isInside(real, r))) {
      throw new ToolInputError(`${userPath} leads outside the workspace through a symbolic link.`);
    }
    return candidate;
  }

  /**
   * resolve() for a path a tool will write: also refused when any part of it below the workspace
   * folder is a symbolic link (the file itself too, dangling or not), since a write would follow it.
   */
  async resolveForWrite(userPath: string): Promise<string> {
    const path = await this.resolve(userPath);
    this.checkWritable(path, userPath);
    return path;
  }

  /** The symbolic-link check of resolveForWrite for a path a tool computed (an output beside its input), already inside the workspace. */
  checkWritable(absolutePath: string, shown = this.display(absolutePath)): void {
    const root = this.rootOf(absolutePath);
    if (!root) throw new ToolInputError(`${shown} is outside the workspace; only files inside ${this.roots.map((r) => r.path).join(', ')} can be written.`);
    const link = symlinkOnPath(resolve(root.path), absolutePath);
    if (link !== undefined) throw new ToolInputError(`${shown} goes through a symbolic link (${this.display(join(resolve(root.path), link))}): the agent does not write through links. Write to the real path instead.`);
  }

  /**
   * A file's identity for approvals (Tool.approvalScope): its real path, device and inode, size,
   * and modification and change times in nanoseconds. Replacing or rewriting the file changes it
   * (the change time cannot be set back), without reading a model of gigabytes to hash it.
   */
  async identity(absolutePath: string): Promise<string> {
    const real = await fs.realpath(absolutePath);
    const s = await fs.stat(real, { bigint: true });
    return [real, s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(':');
  }

  /** The path as the model should see it. */
  display(absolutePath: string): string {
    const root = this.rootOf(absolutePath);
    if (!root) return absolutePath;
    const rel = relative(root.path, absolutePath).split(sep).join('/') || '.';
    return this.roots.length > 1 ? `${root.name}/${rel}` : rel;
  }

  async readText(userPath: string, maxBytes = 2 * 1024 * 1024): Promise<{ path: string; text: string }> {
    const path = await this.resolve(userPath);
    const stat = await fs.stat(path).catch(() => undefined);
    if (!stat) throw new ToolInputError(`${userPath} does not exist.`);
    if (stat.isDirectory()) throw new ToolInputError(`${userPath} is a folder; use list_files.`);
    if (stat.size > maxBytes) throw new ToolInputError(`${userPath} is ${(stat.size / 1e6).toFixed(1)} MB; read it in parts with start_line/end_line, or search it.`);
    let buffer: Buffer;
    try {
      buffer = await readRegularFile(path, maxBytes);
    } catch (error) {
      if (error instanceof NotARegularFile) throw new ToolInputError(`${userPath} is ${error.kind}, not a file: it is not read.`);
      if (error instanceof FileTooLarge) throw new ToolInputError(`${userPath} grew to ${(error.size / 1e6).toFixed(1)} MB while being read; search it instead.`);
      throw error;
    }
    if (buffer.subarray(0, 8000).includes(0)) throw new ToolInputError(`${userPath} is a binary file.`);
    return { path, text: buffer.toString('utf8') };
  }

  /** Atomic (temporary file + rename, which replaces rather than follows a link), so a crash never leaves half a file; links on the way are refused just before. */
  async writeTextAtomic(absolutePath: string, text: string): Promise<void> {
    this.checkWritable(absolutePath);
    await writeFileAtomic(absolutePath, text);
  }

  private candidatePath(cleaned: string): string {
    if (isAbsolute(cleaned)) return resolve(cleaned);
    if (this.roots.length > 1) {
      const [first, ...rest] = cleaned.split(/[\\/]/);
      const named = this.roots.find((r) => r.name === first);
      if (named) return resolve(named.path, ...rest);
    }
    return resolve(this.roots[0]!.path, cleaned);
  }

  private rootOf(absolutePath: string): WorkspaceRoot | undefined {
    return this.roots.find((r) => isInside(absolutePath, resolve(r.path)));
  }
}

/** `root` itself or below it: a name of its own that starts with ".." (`..env`) is inside. */
function isInside(path: string, root: string): boolean {
  return isSameOrInside(root, path);
}

async function realpathOfExisting(path: string): Promise<string> {
  let current = path;
  const missing: string[] = [];
  for (;;) {
    try {
      return join(await fs.realpath(current), ...missing.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      missing.push(basename(current));
      current = parent;
    }
  }
}
