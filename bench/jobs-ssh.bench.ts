// poll_cpu_percent for a remote cluster: CPU of polling one command over SSH at a fixed interval
// through the multiplexed connection (SshRunner: one master, a light mux client per poll) beside a
// new `ssh` login per poll, in the same run, against a real sshd on a loopback port.
// The command is `squeue --json` where this machine's Slurm answers it, else `true`.
// Client CPU: this process, the ssh clients it reaped, and the master (a daemon, read by its pid).
// Server CPU: sshd and everything below it (key exchange, session, login shell, the command).
// The master's login is made before the window: the view pays it once per window, not per poll.
// BENCH_SECONDS (default 20) and BENCH_POLL_MS (default 2000; the Jobs view's default is longer).
import { spawnSync } from 'node:child_process';
import { SshRunner } from '../src/jobs/transport/sshRunner';
import { descendantsOf, masterPid, procCpuSeconds, sshdMissing, startSshServer, type SshServer } from '../test/support/sshServer';
import { median, withBaseline, type BenchMetric } from './metric';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 2000);
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

interface Measured {
  clientSeconds: number;
  serverSeconds: number;
  /** Client CPU seconds of this process, of the ssh clients it ran, of the master. */
  split: [number, number, number];
  polls: number;
  times: number[];
  wall: number;
  logins: number;
}

function sum(a: Measured, b: Measured): Measured {
  return {
    clientSeconds: a.clientSeconds + b.clientSeconds,
    serverSeconds: a.serverSeconds + b.serverSeconds,
    split: [a.split[0] + b.split[0], a.split[1] + b.split[1], a.split[2] + b.split[2]],
    polls: a.polls + b.polls,
    times: [...a.times, ...b.times],
    wall: a.wall + b.wall,
    logins: a.logins + b.logins,
  };
}

/** CPU seconds of sshd's whole tree: every process that ended is in an ancestor's reaped time. */
function serverCpuSeconds(server: SshServer): number {
  const pid = server.pid;
  if (pid === undefined) return 0;
  return [pid, ...descendantsOf(pid)].reduce((sum, p) => sum + procCpuSeconds(p, TICKS), 0);
}

async function poll(runner: SshRunner, argv: readonly string[], seconds: number, server: SshServer, master: () => number | undefined): Promise<Measured> {
  const masterAtStart = master();
  const masterCpu = (): number => (masterAtStart === undefined ? 0 : procCpuSeconds(masterAtStart, TICKS));
  const logins = server.logins();
  const own0 = procCpuSeconds(process.pid, TICKS);
  const node0 = process.cpuUsage();
  const master0 = masterCpu();
  const server0 = serverCpuSeconds(server);
  const started = performance.now();
  const times: number[] = [];
  while (performance.now() - started < seconds * 1000) {
    const t0 = performance.now();
    const result = await runner.run(argv, { timeoutMs: 30_000 });
    if (result.code !== 0) throw new Error(`${argv.join(' ')} failed over ssh: ${result.stderr}`);
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (performance.now() - t0))));
  }
  const wall = (performance.now() - started) / 1000;
  const node = process.cpuUsage(node0);
  const nodeSeconds = (node.user + node.system) / 1e6;
  const ownAndClients = procCpuSeconds(process.pid, TICKS) - own0;
  const client = ownAndClients + (masterCpu() - master0);
  const serverSeconds = serverCpuSeconds(server) - server0;
  // After the readings: `ssh -O check` is a child of ours too.
  if (masterAtStart !== undefined && master() !== masterAtStart) throw new Error('the master connection was replaced during the window');
  return {
    clientSeconds: client,
    serverSeconds,
    split: [nodeSeconds, Math.max(0, ownAndClients - nodeSeconds), masterCpu() - master0],
    polls: times.length,
    times,
    wall,
    logins: server.logins() - logins,
  };
}

export async function run(): Promise<BenchMetric[]> {
  const missing = sshdMissing();
  if (missing) throw new Error(`jobs-ssh bench: ${missing}`);
  const server = await startSshServer();
  const multiplexed = new SshRunner(server.alias, { configFile: server.configFile });
  // The Windows code path: no ControlMaster options, so every command is a new login.
  const perLogin = new SshRunner(server.alias, { configFile: server.configFile, platform: 'win32' });
  try {
    const squeue = await multiplexed.run(['squeue', '--json'], { timeoutMs: 15_000 }).catch(() => undefined);
    const argv = squeue?.code === 0 ? ['squeue', '--json'] : ['true'];
    await perLogin.run(argv, { timeoutMs: 30_000 }); // both code paths warmed (JIT) before either window
    console.log(`polling \`${argv.join(' ')}\` every ${POLL_MS} ms for ${SECONDS} s each way, in halves (ABBA: the first window pays warm-ups)`);
    const muxWindow = (): Promise<Measured> => poll(multiplexed, argv, SECONDS / 2, server, () => masterPid(multiplexed.controlPath!, server.configFile, server.alias));
    const loginWindow = (): Promise<Measured> => poll(perLogin, argv, SECONDS / 2, server, () => undefined);
    const muxA = await muxWindow();
    const freshA = await loginWindow();
    const fresh = sum(freshA, await loginWindow());
    const mux = sum(muxA, await muxWindow());
    for (const [name, m] of [['multiplexed', mux], ['one login per poll', fresh]] as const) {
      const [node, clients, master] = m.split.map((x) => x.toFixed(2));
      console.log(`${name}: ${m.polls} polls, ${m.logins} logins; client CPU s: node ${node}, ssh clients ${clients}, master ${master}`);
    }
    if (mux.logins !== 0) throw new Error(`the multiplexed runner logged in ${mux.logins} times during the window`);
    const perPoll = (m: Measured, seconds: number): number => (seconds * 1000) / m.polls;
    return [
      withBaseline('poll_cpu_percent', (mux.clientSeconds / mux.wall) * 100, '%', (fresh.clientSeconds / fresh.wall) * 100),
      // Per poll, so the slower side's fewer polls in the window do not flatter it.
      withBaseline('poll_client_cpu_ms', perPoll(mux, mux.clientSeconds), 'ms', perPoll(fresh, fresh.clientSeconds)),
      withBaseline('poll_server_cpu_ms', perPoll(mux, mux.serverSeconds), 'ms', perPoll(fresh, fresh.serverSeconds)),
      withBaseline('poll_ms', median(mux.times), 'ms', median(fresh.times)),
    ];
  } finally {
    await multiplexed.close();
    await perLogin.close();
    await server.close();
  }
}
