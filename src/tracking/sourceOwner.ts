import * as nodePath from 'node:path';

/**
 * The source a changed file belongs to: its root itself, a file under the root folder, or a file
 * beside it that shares its name plus a suffix (SQLite's `mlflow.db-wal`). `path` is node:path
 * (path.win32 in tests: Windows paths use `\` and ignore case).
 */
export function owningSource<T extends { readonly root: string }>(file: string, sources: readonly T[], path: Pick<typeof nodePath, 'sep' | 'normalize'> = nodePath): T | undefined {
  const fold = path.sep === '\\' ? (s: string): string => s.toLowerCase() : (s: string): string => s;
  const changed = fold(path.normalize(file));
  return sources.find((source) => {
    let root = fold(path.normalize(source.root));
    if (root.endsWith(path.sep)) root = root.slice(0, -1);
    if (changed === root || changed.startsWith(root + path.sep)) return true;
    return changed.startsWith(`${root}-`) && !changed.slice(root.length).includes(path.sep);
  });
}
