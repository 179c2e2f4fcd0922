import * as nodePath from 'node:path';

// Path tests that hold on Windows as on Linux: "is this file inside that folder" written as
// `file.startsWith(folder + '/')` never matches a Windows path (backslashes, and a drive letter
// whose case differs between VS Code's `fsPath` and a typed setting). `path.relative` knows both.
// Each takes the path module, so unit tests run them with `path.win32` on Linux too.

export type PathModule = Pick<typeof nodePath, 'relative' | 'isAbsolute' | 'dirname' | 'sep'>;

/** Whether `child` is `parent` itself or anywhere under it (case-insensitive on Windows, as its file system is). */
export function isSameOrInside(parent: string, child: string, path: PathModule = nodePath): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Whether `child` is strictly under `parent`. */
export function isInside(parent: string, child: string, path: PathModule = nodePath): boolean {
  return !samePath(parent, child, path) && isSameOrInside(parent, child, path);
}

/** Whether `file` sits directly in `folder` (not in a sub-folder of it). */
export function isDirectChild(folder: string, file: string, path: PathModule = nodePath): boolean {
  return !samePath(folder, file, path) && samePath(folder, path.dirname(file), path);
}

/** The same place, whatever the separators, trailing separator or (on Windows) letter case. */
export function samePath(a: string, b: string, path: PathModule = nodePath): boolean {
  return path.relative(a, b) === '';
}

/** `rel` (relative to some folder) with "/" between its parts, as globs and keys expect. */
export function toSlashes(rel: string, path: PathModule = nodePath): string {
  return path.sep === '/' ? rel : rel.split(path.sep).join('/');
}
