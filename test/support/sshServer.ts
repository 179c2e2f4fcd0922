// A real OpenSSH server on a loopback port for the SSH transport's tests: its own host key, a user
// key made here, a known_hosts and an ssh config of its own (the user's ~/.ssh is never read or written).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

/** The pid of the master on `controlPath`, from `ssh -O check` ("Master running (pid=N)"); undefined when none answers. */
export function masterPid(controlPath: string, configFile: string, host: string): number | undefined {
  const check = spawnSync('ssh', ['-F', configFile, '-o', `ControlPath=${controlPath}`, '-O', 'check', host], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(check.stderr)?.[1];
  return check.status === 0 && pid ? Number(pid) : undefined;
}

/** CPU seconds (user + system) of a process and of its children it has reaped, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number, ticksPerSecond: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of the file (11-14 after the command).
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Why this machine cannot run the server, or undefined when it can. */
export function sshdMissing(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian openssh-server; scripts/ensure-prerequisites.sh installs it)`;
  if (spawnSync('ssh', ['-V']).status !== 0) return 'the ssh client is not installed (Debian openssh-client)';
  return undefined;
}

export interface SshServer {
  readonly port: number;
  /** The listener's pid while it runs. */
  readonly pid: number | undefined;
  readonly dir: string;
  /** The Host alias its config names. */
  readonly alias: string;
  /** An ssh config (`-F`) for the alias: this server, the test's key, a known_hosts with its real key. */
  readonly configFile: string;
  readonly knownHosts: string;
  /** Another config for the same server, with `lines` changed (a wrong known_hosts, a wrong key). */
  configWith(name: string, lines: Record<string, string>): string;
  /** Logins so far: sshd's "Accepted publickey" lines. */
  logins(): number;
  /** Kills every connection's server side (a dropped network), keeping the listener; returns how many processes. */
  dropConnections(): number;
  /** Stops the listener and its connections (a rebooting login node). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

function keygen(path: string): void {
  const result = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ml-engineer-test', '-f', path]);
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${String(result.stderr)}`);
}

/** Pids whose parent is `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    });
}

/** Every process below `pid` (a connection's monitor, its session, the command it runs). */
export function descendantsOf(pid: number): number[] {
  const direct = childrenOf(pid);
  return [...direct, ...direct.flatMap(descendantsOf)];
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startSshServer(): Promise<SshServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-sshd-'));
  keygen(join(dir, 'host'));
  keygen(join(dir, 'user'));
  keygen(join(dir, 'other'));
  writeFileSync(join(dir, 'authorized'), readFileSync(join(dir, 'user.pub')));
  mkdirSync(join(dir, 'home'));
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no', // a temp folder's modes fail the strict check
      'UseDNS no',
      'MaxSessions 32',
      'LogLevel INFO',
      // A home of its own: the login shell reads no ~/.bashrc of this machine's (pyenv's init there costs ~1 s a command).
      `SetEnv HOME=${join(dir, 'home')}`,
      '',
    ].join('\n'),
  );
  const hostKey = (file: string): string => readFileSync(join(dir, file), 'utf8').split(' ').slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey('host.pub')}\n`);
  writeFileSync(join(dir, 'known_hosts_wrong'), `[127.0.0.1]:${port} ${hostKey('other.pub')}\n`);
  writeFileSync(join(dir, 'known_hosts_empty'), '');
  const alias = 'test-cluster';
  const baseConfig: Record<string, string> = {
    HostName: '127.0.0.1',
    Port: String(port),
    User: user,
    IdentityFile: join(dir, 'user'),
    IdentitiesOnly: 'yes',
    IdentityAgent: 'none', // the developer's agent stays out of it
    UserKnownHostsFile: knownHosts,
    GlobalKnownHostsFile: '/dev/null',
  };
  const configWith = (name: string, lines: Record<string, string>): string => {
    const file = join(dir, name);
    const merged = { ...baseConfig, ...lines };
    writeFileSync(file, `Host ${alias}\n${Object.entries(merged).map(([k, v]) => `  ${k} ${v}\n`).join('')}`);
    return file;
  };
  const configFile = configWith('ssh_config', {});

  let log = '';
  let child: ChildProcess | undefined;
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true }); // its privilege-separation folder
  const start = async (): Promise<void> => {
    // -D: stays in the foreground, our child; -e: its log on stderr, read here.
    const sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = sshd;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start: ${log}`)), 15_000);
      sshd.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      sshd.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited with ${code}: ${log}`));
      });
    });
  };
  const dropConnections = (): number => {
    const sessions = child?.pid === undefined ? [] : descendantsOf(child.pid);
    for (const pid of sessions) if (alive(pid)) process.kill(pid, 'SIGKILL');
    return sessions.length;
  };
  const stop = async (): Promise<void> => {
    const sshd = child;
    child = undefined;
    if (!sshd || sshd.exitCode !== null || sshd.signalCode !== null) return;
    const sessions = sshd.pid === undefined ? [] : descendantsOf(sshd.pid);
    const exited = new Promise((resolve) => sshd.once('exit', resolve));
    sshd.kill('SIGKILL');
    for (const pid of sessions) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    get pid() {
      return child?.pid;
    },
    dir,
    alias,
    configFile,
    knownHosts,
    configWith,
    logins: () => log.split('\n').filter((l) => l.startsWith('Accepted publickey')).length,
    dropConnections,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
