import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSampleLine, SAMPLE_FIELDS, statusText, needsAttention, type GpuSample } from '../../src/gpu/gpuSample';
import { MAX_LINE_CHARS, NvidiaSmiSampler, type SamplerState } from '../../src/gpu/nvidiaSmiSampler';
import { silentLogger } from '../../src/common/logger';

const fixtures = join(__dirname, '../fixtures/nvidia-smi');
const replay = join(__dirname, '../fixtures/bin/replay-nvidia-smi');
const captures = readdirSync(fixtures).filter((f) => f.endsWith('__load__query-gpu.csv'));

/** A capture's row as the sampler's query would print it (fields by name, as the stand-in does). */
function sampleLine(capture: string): string {
  const [head, row] = readFileSync(join(fixtures, capture), 'utf8').trim().split('\n');
  const names = head!.split(', ').map((h) => h.replace(/\s*\[[^\]]*\]$/, '').replace('clocks.current.sm', 'clocks.sm'));
  const cells = row!.split(', ');
  return SAMPLE_FIELDS.map((f) => (names.includes(f) ? cells[names.indexOf(f)] : '[N/A]')).join(', ');
}

function fromQ(capture: string, pattern: RegExp): string | undefined {
  return pattern.exec(readFileSync(join(fixtures, capture.replace('__load__query-gpu.csv', '__load__q.txt')), 'utf8'))?.[1]?.trim();
}

describe('GPU samples', () => {
  for (const capture of captures) {
    it(`reads ${capture}, agreeing with the same capture's -q`, () => {
      const sample = parseSampleLine(sampleLine(capture));
      assert.ok(sample, 'parsed');
      assert.equal(sample.name, fromQ(capture, /Product Name\s+:\s+(.+)/));
      // A MIG capture lists each instance's memory too; the GPU's own total is the largest.
      const totals = [...readFileSync(join(fixtures, capture.replace('__load__query-gpu.csv', '__load__q.txt')), 'utf8').matchAll(/FB Memory Usage\s+Total\s+:\s+(\d+) MiB/g)].map((m) => Number(m[1]));
      assert.equal(sample.memoryTotalMiB, Math.max(...totals));
      assert.ok(sample.memoryUsedMiB !== null && sample.memoryUsedMiB <= sample.memoryTotalMiB);
      assert.ok(sample.powerLimitW === null || sample.powerLimitW > 0);
    });
  }

  it('keeps MIG GPUs whose utilisation is [N/A]', () => {
    const sample = parseSampleLine(sampleLine('linux-x86_64__nvidia-h100-mig__590.48.01__load__query-gpu.csv'));
    assert.equal(sample?.name, 'NVIDIA H100 80GB HBM3');
    assert.equal(sample?.utilizationGpu, null);
    assert.equal(statusText([sample]), `–% ${(sample.memoryUsedMiB! / 1024).toFixed(1)}/79.6 GB`);
  });

  it('reads nounits lines, names with commas, and refuses garbage', () => {
    const s = parseSampleLine('1, GPU-abc, Tesla T4, PCIe, 16GB, 87, 40, 61234, 81920, 71, 250.5, 300.00, 1410');
    assert.equal(s?.name, 'Tesla T4, PCIe, 16GB');
    assert.equal(s?.utilizationGpu, 87);
    assert.equal(statusText([s]), '87% 59.8/80.0 GB');
    assert.equal(needsAttention([s]), false);
    assert.equal(needsAttention([{ ...s, memoryUsedMiB: 80_000 }]), true);
    assert.equal(parseSampleLine('Unable to determine the device handle for GPU0000:01:00.0: Unknown Error'), undefined);
    assert.equal(parseSampleLine('0, GPU-x, Tesla, oops, a, b, c, d, e, f, g'), undefined);
  });

  it('summarises several GPUs', () => {
    const a = parseSampleLine('0, u0, A100, 50, 10, 10240, 40960, 60, 200, 400, 1400')!;
    const b = parseSampleLine('1, u1, A100, 100, 10, 30720, 40960, 70, 380, 400, 1400')!;
    assert.equal(statusText([a, b]), '2 GPUs 75% 40.0/80.0 GB');
  });
});

describe('nvidia-smi sampler (a stand-in replaying real captures)', function () {
  this.timeout(20_000);

  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (message: string) => void warnings.push(message) };

  function run(env: Record<string, string>, intervalMs: number, until: (snapshots: GpuSample[][], states: SamplerState[]) => boolean, command = replay) {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const snapshots: GpuSample[][] = [];
    const states: SamplerState[] = [];
    const sampler = new NvidiaSmiSampler({ command, intervalMs, log, onSnapshot: (s) => snapshots.push(s), onState: (s) => states.push(s) });
    sampler.start();
    const restore = (): void => {
      process.env = saved;
    };
    return new Promise<{ snapshots: GpuSample[][]; states: SamplerState[] }>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        if (until(snapshots, states)) {
          clearInterval(timer);
          sampler.stop();
          restore();
          resolve({ snapshots, states });
        } else if (Date.now() - started > 15_000) {
          clearInterval(timer);
          sampler.stop();
          restore();
          reject(new Error(`timed out; states: ${states.map((s) => s.kind).join(',')}`));
        }
      }, 20);
    });
  }

  it('gathers each interval of a long-lived process into one snapshot per GPU set', async () => {
    const { snapshots } = await run({ REPLAY_CAPTURE: 'exporter_query.csv' }, 200, (s) => s.length >= 3);
    for (const snapshot of snapshots) assert.deepEqual(snapshot.map((g) => g.name), ['NVIDIA GeForce RTX 2080 SUPER', 'Some Other GPU']);
    assert.equal(snapshots[0]![1]!.memoryUsedMiB, 1234);
  });

  it('restarts a sampler that exits, with backoff', async () => {
    const { states, snapshots } = await run({ REPLAY_CAPTURE: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv', REPLAY_MODE: 'exit-after:1' }, 100, (s, st) => st.filter((x) => x.kind === 'failing').length >= 3 && s.length >= 2);
    const failing = states.filter((s): s is Extract<SamplerState, { kind: 'failing' }> => s.kind === 'failing');
    assert.match(failing[0]!.message, /exited \(code 9\)/);
    assert.ok(failing[1]!.retryInMs > failing[0]!.retryInMs, `backs off: ${failing.map((f) => f.retryInMs).join(', ')}`);
    assert.equal(snapshots[0]![0]!.name, 'NVIDIA H100 80GB HBM3');
  });

  it('kills a sampler that hangs, and one that prints garbage', async () => {
    const hung = await run({ REPLAY_CAPTURE: 'exporter_query.csv', REPLAY_MODE: 'hang-after:1' }, 1000, (_, st) => st.some((x) => x.kind === 'failing'));
    assert.match((hung.states.find((x) => x.kind === 'failing') as { message: string }).message, /stopped answering/);
    const garbage = await run({ REPLAY_CAPTURE: 'exporter_query.csv', REPLAY_MODE: 'garbage' }, 50, (_, st) => st.some((x) => x.kind === 'failing'));
    assert.match((garbage.states.find((x) => x.kind === 'failing') as { message: string }).message, /not GPU samples/);
    assert.equal(garbage.snapshots.length, 0);
  });

  it('kills a sampler that prints without end and no line break, before its buffer grows, and says why in the log', async () => {
    warnings.length = 0;
    const { states, snapshots } = await run({ REPLAY_CAPTURE: 'exporter_query.csv', REPLAY_MODE: 'endless-after:1' }, 200, (_, st) => st.filter((x) => x.kind === 'failing').length >= 2);
    const failing = states.filter((s): s is Extract<SamplerState, { kind: 'failing' }> => s.kind === 'failing');
    assert.match(failing[0]!.message, new RegExp(`printed more than ${MAX_LINE_CHARS / 1024} KB without a line break \\(not GPU samples\\); restarted`));
    assert.equal(snapshots.length >= 1, true, 'the good interval before it was kept');
    assert.deepEqual(warnings, [failing[0]!.message], 'logged once for the streak');
  });

  it('says once that there is no nvidia-smi, and does not retry', async () => {
    const { states } = await run({}, 100, (_, st) => st.some((x) => x.kind === 'unavailable'), '/nonexistent/nvidia-smi');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(states.filter((s) => s.kind === 'unavailable').length, 1);
    assert.equal(states.filter((s) => s.kind === 'failing').length, 0);
  });
});

describe('rocm-smi --json (a real MI100 capture)', () => {
  it('reads every card in the NVIDIA sample shape', async () => {
    const { parseRocmSmiJson } = await import('../../src/gpu/rocmSmiJson');
    const samples = parseRocmSmiJson(readFileSync(join(fixtures, 'rocm-smi__telegraf_mi100_rocm602.json'), 'utf8'));
    assert.deepEqual(samples.map((s) => s.index), [0, 1, 2, 3]);
    assert.deepEqual(samples[0], {
      index: 0,
      uuid: '0x79ccd55167a2124a',
      name: 'Arcturus GL-XL [Instinct MI100]',
      utilizationGpu: 0,
      utilizationMemory: 0,
      memoryUsedMiB: 6,
      memoryTotalMiB: 32752,
      temperatureC: 55,
      powerDrawW: 36,
      powerLimitW: 290,
      clockSmMHz: 300,
    });
    assert.equal(statusText(samples), '4 GPUs 0% 0.0/127.9 GB');
    assert.throws(() => parseRocmSmiJson('ERROR: GPU[0] : Unable to get'), /not JSON/);
    assert.deepEqual(parseRocmSmiJson('{"system": {"Driver version": "6.3.6"}}'), []);
  });
});

describe('rocm-smi sampler (a stand-in printing the real MI100 capture)', function () {
  this.timeout(20_000);
  const rocm = join(__dirname, '..', 'fixtures', 'bin', 'replay-rocm-smi');

  async function sample(command: string, env: Record<string, string>, until: (snapshots: GpuSample[][], states: SamplerState[]) => boolean) {
    const { RocmSmiSampler } = await import('../../src/gpu/rocmSmiSampler');
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const snapshots: GpuSample[][] = [];
    const states: SamplerState[] = [];
    const sampler = new RocmSmiSampler({ command, intervalMs: 100, log: silentLogger, onSnapshot: (s) => snapshots.push(s), onState: (s) => states.push(s) });
    sampler.start();
    try {
      const started = Date.now();
      while (!until(snapshots, states)) {
        if (Date.now() - started > 15_000) throw new Error(`timed out; states: ${states.map((s) => s.kind).join(',')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      sampler.stop();
      process.env = saved;
    }
    return { snapshots, states };
  }

  it('samples every card once per interval with options rocm-smi accepts', async () => {
    const { snapshots } = await sample(rocm, {}, (s) => s.length >= 3);
    assert.ok(snapshots.every((s) => s.length === 4));
    assert.equal(snapshots[0]?.[0]?.name, 'Arcturus GL-XL [Instinct MI100]');
  });

  it('backs off on output that is not JSON, and says once that there is no rocm-smi', async () => {
    const { states } = await sample(rocm, { REPLAY_MODE: 'garbage' }, (_, st) => st.some((s) => s.kind === 'failing'));
    const failing = states.find((s) => s.kind === 'failing');
    assert.match(failing?.kind === 'failing' ? failing.message : '', /not JSON/);
    const missing = await sample('/nonexistent/rocm-smi', {}, (_, st) => st.some((s) => s.kind === 'unavailable'));
    assert.equal(missing.snapshots.length, 0);
    assert.equal(missing.states.filter((s) => s.kind === 'unavailable').length, 1);
  });
});

describe('GPU history for the charts', () => {
  it('keeps the last window of samples per GPU as parallel series, in GiB', async () => {
    const { GpuHistory } = await import('../../src/gpu/gpuHistory');
    const history = new GpuHistory(10_000);
    const gpu = (util: number): GpuSample => ({
      index: 0, uuid: 'GPU-1', name: 'H100', utilizationGpu: util, utilizationMemory: null, memoryUsedMiB: 2048, memoryTotalMiB: 81_559,
      temperatureC: 60, powerDrawW: null, powerLimitW: 700, clockSmMHz: null,
    });
    for (let i = 0; i < 20; i++) history.add([gpu(i)], 1_000_000 + i * 1000);
    const [series] = history.series();
    assert.ok(series);
    assert.equal(series.t.length, 11, 'the last 10 s, both ends included');
    assert.deepEqual(series.utilization.slice(-2), [18, 19]);
    assert.equal(series.memoryGiB[0], 2);
    assert.equal(series.powerW[0], null);
    assert.equal(series.powerLimitW, 700);
    assert.ok(Math.abs(series.memoryTotalGiB! - 79.6) < 0.1);
  });
});
