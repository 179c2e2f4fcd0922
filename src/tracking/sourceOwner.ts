import * as nodePath from 'node:path';
import { isSameOrInside, samePath, type PathModule } from '../common/pathInside';

/**
 * The source a changed file belongs to: its root itself, a file under the root folder, or a file
 * beside it that shares its name plus a suffix (SQLite's `mlflow.db-wal`). `path` is node:path
 * (path.win32 in tests: Windows paths use `\` and ignore case).
 */
export function owningSource<T extends { readonly root: string }>(file: string, sources: readonly T[], path: PathModule & Pick<typeof nodePath, 'basename'> = nodePath): T | undefined {
  const fold = path.sep === '\\' ? (s: string): string => s.toLowerCase() : (s: string): string => s;
  return sources.find((source) => {
    if (isSameOrInside(source.root, file, path)) return true;
    return samePath(path.dirname(source.root), path.dirname(file), path) && fold(path.basename(file)).startsWith(`${fold(path.basename(source.root))}-`);
  });
}
