// The engine's spill folder (<tempDir>/ml-engineer-duckdb-<pid>-<random>) holds pages of the
// user's data. It was once named by pid alone and made with mkdir -p, which took a folder or a link
// another local user had planted for an upcoming pid (an attack got the spill that way), so the
// engine makes a fresh one with mkdtemp (a random name, 0700, fails if it exists) and checks it.
// A killed engine cannot remove its folder (an attack measured 70 MB per kill), so the host removes
// it when the child exits, and on a start sweeps those of engines whose process is gone: only
// folders of ours by name, owner and type, never a link or a folder another user made.
import { lstatSync, mkdtempSync, statSync, type Stats } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'ml-engineer-duckdb-';
/** `<pid>-<mkdtemp's 6 characters>` (older versions' bare `<pid>` folders, 0755, are not provably ours). */
const NAME = /^ml-engineer-duckdb-(\d+)-[A-Za-z0-9]{6}$/;
const POSIX = process.platform !== 'win32';

/** Makes this engine's own spill folder in tempDir and returns it; throws saying why it is unsafe. */
export function makeSpillFolder(tempDir: string, pid: number): string {
  if (othersMayRename(statSync(tempDir))) {
    throw new Error(`the spill folder's parent ${tempDir} is writable by other users and has no sticky bit; choose another (mlEngineer.data.spillFolder)`);
  }
  const folder = mkdtempSync(join(tempDir, `${PREFIX}${pid}-`));
  const problem = unsafe(lstatSync(folder));
  if (problem) throw new Error(`the spill folder ${folder} ${problem}; the engine will not spill the data there`);
  return folder;
}

/**
 * In a folder others may write without the sticky bit, they could swap our folder for a link after
 * the check. Group-writable counts only for a group other than the user's own: with a umask of 002
 * (Ubuntu's per-user groups) a person's folders are 0775 and no one else is in that group.
 */
export function othersMayRename(folder: Stats): boolean {
  if (!POSIX || (folder.mode & 0o1000) !== 0) return false;
  return (folder.mode & 0o002) !== 0 || ((folder.mode & 0o020) !== 0 && folder.gid !== process.getgid?.());
}

/** Why a spill folder is not one of ours, private; undefined when it is. */
function unsafe(stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) return 'is a link';
  if (!stats.isDirectory()) return 'is not a folder';
  if (!POSIX) return undefined;
  if (stats.uid !== process.getuid?.()) return `belongs to user ${stats.uid}`;
  if ((stats.mode & 0o077) !== 0) return `has mode ${(stats.mode & 0o777).toString(8)}, open to other users`;
  return undefined;
}

/** Removes the spill folders in tempDir of the engine process with this pid (it has exited). */
export async function removeSpillFolder(tempDir: string, pid: number): Promise<void> {
  await sweepSpillFolders(tempDir, (other) => other !== pid);
}

/** Removes our spill folders in tempDir whose engine process no longer runs; returns how many. */
export async function sweepSpillFolders(tempDir: string, isRunning: (pid: number) => boolean = processRuns): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tempDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = Number(NAME.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || isRunning(pid)) continue;
    const path = join(tempDir, name);
    const stats = await lstat(path).catch(() => undefined);
    // Our own, not a link: rm of a folder never follows a link inside it.
    if (!stats || unsafe(stats)) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}

/** Signal 0 tests for a process without touching it; EPERM means it runs as someone else. */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
