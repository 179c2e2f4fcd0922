// A code-server window's extension host as the kernel sees it (Linux /proc): which process it is
// and how much memory it holds. The bench's numbers are the process's own, not a stand-in's.
import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory in MB: the total and its kinds (anonymous: heaps and buffers; file: mapped code). */
export interface HostMemory {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
  readonly shmem: number;
}

const kb = (status: string, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);

export function hostMemory(pid: number): HostMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: kb(status, 'VmRSS') / 1024, anon: kb(status, 'RssAnon') / 1024, file: kb(status, 'RssFile') / 1024, shmem: kb(status, 'RssShmem') / 1024 };
}

function read(pid: number, what: 'cmdline' | 'status'): string {
  try {
    return readFileSync(`/proc/${pid}/${what}`, 'utf8');
  } catch {
    return ''; // gone, or not ours to read
  }
}

const commandLine = (pid: number): string => read(pid, 'cmdline').replaceAll('\0', ' ');
const parentOf = (pid: number): number => Number(/^PPid:\s+(\d+)/m.exec(read(pid, 'status'))?.[1] ?? 0);

/** Every process of this machine whose command line says `mark` and one of whose ancestors' says `ancestorMark`. */
function processesUnder(mark: string, ancestorMark: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
    if (!commandLine(pid).includes(mark)) continue;
    for (let p = parentOf(pid); p > 1; p = parentOf(p)) {
      if (commandLine(p).includes(ancestorMark)) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

/** The extension hosts (`--type=extensionHost`) of the code-server started with this user data folder, one per window. */
export function extensionHosts(userDataDir: string): number[] {
  return processesUnder('--type=extensionHost', userDataDir);
}

/** The dataset engine's child processes (dist/engine/dataEngine.js) under an extension host. */
export function engineChildren(hostPid: number): number[] {
  return processesUnder('dataEngine.js', `--type=extensionHost`).filter((pid) => {
    for (let p = parentOf(pid); p > 1; p = parentOf(p)) if (p === hostPid) return true;
    return false;
  });
}
