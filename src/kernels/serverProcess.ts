import { readdir, readFile, readlink } from 'node:fs/promises';
import { runProcess } from '../common/process';

export type ServerProcessCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What we recorded about a local server we started (LocalServerRecord has these). */
export interface ServerProcessRecord {
  readonly pid: number;
  readonly baseUrl: string;
}

export interface CheckOptions {
  /** Where /proc is; undefined or missing: ask `ps` and `lsof` (netstat and tasklist on Windows). */
  readonly procRoot?: string;
  readonly platform?: NodeJS.Platform;
}

/**
 * Whether the local server a record names is still the one we started, before its token is
 * sent anywhere: the pid is alive, is this user's, runs `python -m jupyter_server` (or
 * `notebook`) with our config file, and itself listens on the recorded port. A server that
 * died leaves its port to whoever takes it next (on a shared GPU machine, another user), and
 * its pid to any process; such a record is dropped and a new server started.
 */
export async function checkServerProcess(record: ServerProcessRecord, options: CheckOptions = {}): Promise<ServerProcessCheck> {
  const url = URL.canParse(record.baseUrl) ? new URL(record.baseUrl) : undefined;
  const port = Number(url?.port);
  if (url?.hostname !== '127.0.0.1' || !Number.isInteger(port) || port <= 0) return { ok: false, reason: `${record.baseUrl} is not a local server's address` };
  if (!Number.isInteger(record.pid) || record.pid <= 0) return { ok: false, reason: `no valid pid (${record.pid})` };
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'EPERM' ? `process ${record.pid} belongs to another user` : `process ${record.pid} is gone` };
  }
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') return checkWindows(record.pid, port);
  const proc = options.procRoot ?? '/proc';
  const viaProc = await readFile(`${proc}/${record.pid}/cmdline`).catch(() => undefined);
  return viaProc ? checkProc(proc, record.pid, port, viaProc) : checkPsLsof(record.pid, port);
}

/**
 * `python -m jupyter_server --config=.../jupyter_nodelay_config.py ...`, as launchLocalServer
 * starts it; the arguments joined with spaces (as `ps` shows them: the config path may have some).
 */
export function isOurServerCommand(commandLine: string): boolean {
  return /(^| )-m (jupyter_server|notebook)( |$)/.test(commandLine) && /(^| )--config=.*jupyter_nodelay_config\.py( |$)/.test(commandLine);
}

async function checkProc(proc: string, pid: number, port: number, cmdline: Buffer): Promise<ServerProcessCheck> {
  const args = cmdline.toString('utf8').split('\0').filter(Boolean);
  if (!isOurServerCommand(args.join(' '))) return { ok: false, reason: `process ${pid} is not a Jupyter server we started (${args.slice(0, 3).join(' ')})` };
  const status = await readFile(`${proc}/${pid}/status`, 'utf8').catch(() => '');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  if (process.getuid && uid !== String(process.getuid())) return { ok: false, reason: `process ${pid} belongs to another user` };
  // The listening sockets of the process's network namespace on that port, then whether the process holds one.
  const tables = await Promise.all(['tcp', 'tcp6'].map((t) => readFile(`${proc}/${pid}/net/${t}`, 'utf8').catch(() => '')));
  const inodes = new Set(tables.flatMap((t) => listeningInodes(t, port)));
  if (inodes.size === 0) return { ok: false, reason: `process ${pid} does not listen on port ${port}` };
  const fds = await readdir(`${proc}/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`${proc}/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && inodes.has(inode)) return { ok: true };
  }
  return { ok: false, reason: `process ${pid} does not listen on port ${port}` };
}

/** Inodes of the sockets in LISTEN state (0A) on `port` in a /proc/net/tcp or tcp6 table. */
export function listeningInodes(table: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (!local || fields[3] !== '0A' || local.slice(local.lastIndexOf(':') + 1).toUpperCase() !== hexPort) continue;
    if (fields[9]) inodes.push(fields[9]);
  }
  return inodes;
}

/** Without /proc (macOS, BSD): `ps` for the owner and command line, `lsof` for the listening socket. */
async function checkPsLsof(pid: number, port: number): Promise<ServerProcessCheck> {
  const ps = await runProcess('ps', ['-o', 'uid=', '-o', 'args=', '-p', String(pid)], { timeoutMs: 5_000 });
  if (ps.kind !== 'exited' || ps.code !== 0) return { ok: false, reason: `could not ask ps about process ${pid}` };
  const match = /^\s*(\d+)\s+(.*)$/.exec(ps.stdout.trim());
  if (!match) return { ok: false, reason: `ps said nothing about process ${pid}` };
  if (process.getuid && match[1] !== String(process.getuid())) return { ok: false, reason: `process ${pid} belongs to another user` };
  if (!isOurServerCommand(match[2]!)) return { ok: false, reason: `process ${pid} is not a Jupyter server we started` };
  const lsof = await runProcess('lsof', ['-nP', '-a', '-p', String(pid), `-iTCP:${port}`, '-sTCP:LISTEN', '-Fp'], { timeoutMs: 10_000 });
  if (lsof.kind === 'not-found') return { ok: false, reason: 'lsof is not installed, so the server could not be checked' };
  if (lsof.kind !== 'exited') return { ok: false, reason: `lsof did not answer (${lsof.kind})` };
  return lsof.stdout.split('\n').includes(`p${pid}`) ? { ok: true } : { ok: false, reason: `process ${pid} does not listen on port ${port}` };
}

/** Windows: `netstat -ano` names the pid listening on the port; `tasklist` that it is a Python. */
async function checkWindows(pid: number, port: number): Promise<ServerProcessCheck> {
  const netstat = await runProcess('netstat', ['-ano', '-p', 'TCP'], { timeoutMs: 10_000 });
  if (netstat.kind !== 'exited' || netstat.code !== 0) return { ok: false, reason: 'could not ask netstat which process listens on the port' };
  if (!netstatListeners(netstat.stdout, port).includes(pid)) return { ok: false, reason: `process ${pid} does not listen on port ${port}` };
  const tasklist = await runProcess('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH'], { timeoutMs: 10_000 });
  const image = tasklist.kind === 'exited' ? /^"([^"]+)"/.exec(tasklist.stdout.trim())?.[1] : undefined;
  return image && /^python[\w.-]*\.exe$/i.test(image) ? { ok: true } : { ok: false, reason: `process ${pid} is not a Python (${image ?? 'unknown'})` };
}

/** Pids listening on 127.0.0.1:`port` in `netstat -ano -p TCP` output. */
export function netstatListeners(output: string, port: number): number[] {
  const pids: number[] = [];
  for (const line of output.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'TCP' || fields[3] !== 'LISTENING' || fields[1] !== `127.0.0.1:${port}`) continue;
    const pid = Number(fields[4]);
    if (Number.isInteger(pid)) pids.push(pid);
  }
  return pids;
}
