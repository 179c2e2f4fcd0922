import { closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// Writes must not go through symbolic links: a link planted in a workspace (even a dangling one,
// which "does not exist" to stat) turns "create deploy/app.py" into "write ~/.bashrc". Writers
// check the path below the folder they were given, then write without following a link at the
// last step (O_NOFOLLOW where the platform has it).

/**
 * The first symbolic link on the way from `root` down to `path` (`path` itself included, a
 * dangling link too), relative to `root`; undefined when there is none. Parts that do not exist
 * yet are not links. `root` itself is not checked: it is the folder the user chose.
 */
export function symlinkOnPath(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '') return undefined;
  let current = root;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    const stat = lstatSync(current, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (stat.isSymbolicLink()) return relative(root, current);
  }
  return undefined;
}

/** Writes (creates or truncates) `path`, refusing to follow a symbolic link there (ELOOP) where the platform can. */
export function writeFileNoFollow(path: string, data: string | Uint8Array): void {
  // O_NOFOLLOW is undefined on Windows, where the callers' symlinkOnPath check stands alone.
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), 0o666);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  } finally {
    closeSync(fd);
  }
}
