// GPU sampling cost: CPU time of the long-lived sampler at 1 Hz (our process's share plus the
// sampler process's, read from /proc) beside spawning one process per sample, in the same run.
// The sampler executable is the stand-in that replays a real H100 capture (Node, so heavier
// than nvidia-smi itself): both sides pay for the same program.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../src/common/logger';
import { SAMPLE_FIELDS } from '../src/gpu/gpuSample';
import { NvidiaSmiSampler } from '../src/gpu/nvidiaSmiSampler';
import { withBaseline, type BenchMetric } from './metric';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const replay = join(__dirname, '../test/fixtures/bin/replay-nvidia-smi');
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** CPU seconds (user + system) of a process and its reaped children, from /proc/<pid>/stat. */
function procCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of the file (11-14 after the command).
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS;
  } catch {
    return 0;
  }
}

function childPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(process.pid);
      } catch {
        return false;
      }
    });
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU % of one core of the long-lived sampler: its process plus our share, over SECONDS at 1 Hz. */
async function longLived(): Promise<number> {
  let samples = 0;
  const sampler = new NvidiaSmiSampler({ command: replay, intervalMs: 1000, log: silentLogger, onSnapshot: () => samples++ });
  sampler.start();
  try {
    await new Promise((r) => setTimeout(r, 1500)); // past the process's start-up, paid once per window
    const [pid] = childPids();
    if (!pid) throw new Error('the sampler process was not found');
    const child = procCpuSeconds(pid);
    const own = ownCpuSeconds();
    samples = 0;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const used = procCpuSeconds(pid) - child + (ownCpuSeconds() - own);
    if (samples < SECONDS * 0.8) throw new Error(`only ${samples} samples in ${SECONDS} s`);
    return (used / SECONDS) * 100;
  } finally {
    sampler.stop(); // a failed run must not leave the sampler process and its restarts behind
  }
}

/** The same, spawning one process per sample: our own CPU plus the reaped children's, from /proc/self. */
async function processPerSample(): Promise<number> {
  const args = [`--query-gpu=${SAMPLE_FIELDS.join(',')}`, '--format=csv'];
  const before = procCpuSeconds(process.pid);
  for (let i = 0; i < SECONDS; i++) {
    const started = Date.now();
    const result = spawnSync(replay, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`one-shot sample failed: ${result.stderr}`);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
  }
  return ((procCpuSeconds(process.pid) - before) / SECONDS) * 100;
}

export async function run(): Promise<BenchMetric[]> {
  process.env.REPLAY_CAPTURE = 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv';
  const ours = await longLived();
  const baseline = await processPerSample();
  return [withBaseline('sampler_cpu_percent', ours, '% of one core', baseline)];
}
