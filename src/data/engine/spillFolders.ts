// The engine's spill folder (<tempDir>/ml-engineer-duckdb-<pid>) is removed by the child when it
// exits normally, but a cancelled or overrunning query ends it with SIGKILL, and each kill left
// its spill behind (an attack measured 70 MB per kill; /tmp here held 280 such folders). So the
// host removes the folder when its child exits, however it exits, and on a start sweeps the
// folders of engines whose process is gone.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'ml-engineer-duckdb-';

/** Where the engine process with this pid spills (engineProcess.ts makes it). */
export function spillFolder(tempDir: string, pid: number): string {
  return join(tempDir, `${PREFIX}${pid}`);
}

export async function removeSpillFolder(tempDir: string, pid: number): Promise<void> {
  await rm(spillFolder(tempDir, pid), { recursive: true, force: true }).catch(() => undefined);
}

/** Removes the spill folders in tempDir whose engine process no longer runs; returns how many. */
export async function sweepSpillFolders(tempDir: string, isRunning: (pid: number) => boolean = processRuns): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tempDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length)) : NaN;
    if (!Number.isSafeInteger(pid) || pid <= 0 || isRunning(pid)) continue;
    await removeSpillFolder(tempDir, pid);
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
