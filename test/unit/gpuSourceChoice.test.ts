import assert from 'node:assert/strict';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/logger';
import type { GpuSample } from '../../src/gpu/gpuSample';
import { defaultGpuSamplers, GpuSourceChoice } from '../../src/gpu/gpuSourceChoice';

const bin = join(__dirname, '..', 'fixtures', 'bin');
const H100 = 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv';

async function until(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The choice with the real samplers, running the stand-ins that replay real nvidia-smi / rocm-smi captures. */
function choose(commands: { nvidiaSmi: string; rocmSmi: string }) {
  const seen = { samples: [] as GpuSample[][], unavailable: [] as string[], switched: 0 };
  const choice = new GpuSourceChoice(
    defaultGpuSamplers(silentLogger, () => commands),
    {
      samples: (s) => seen.samples.push(s),
      switched: () => seen.switched++,
      unavailable: (problem) => seen.unavailable.push(problem),
      failing: () => undefined,
    },
    silentLogger,
    100,
  );
  return { choice, seen };
}

describe('GPU source choice (core): which GPUs the status bar shows', function () {
  this.timeout(30_000);
  const saved = process.env.REPLAY_CAPTURE;
  before(() => (process.env.REPLAY_CAPTURE = H100));
  after(() => (process.env.REPLAY_CAPTURE = saved));

  it("shows this machine's NVIDIA GPUs through nvidia-smi", async () => {
    const { choice, seen } = choose({ nvidiaSmi: join(bin, 'replay-nvidia-smi'), rocmSmi: join(bin, 'replay-rocm-smi') });
    try {
      assert.deepEqual(choice.state, { kind: 'off' }, 'nothing shows GPUs yet');
      choice.setWanted(true);
      assert.deepEqual(choice.state, { kind: 'local', vendor: 'nvidia' });
      await until('samples', () => seen.samples.length >= 2);
      assert.equal(seen.samples[0]![0]!.name, 'NVIDIA H100 80GB HBM3');
    } finally {
      choice.dispose();
    }
  });

  it('falls back to rocm-smi when there is no nvidia-smi', async () => {
    const { choice, seen } = choose({ nvidiaSmi: '/nonexistent/nvidia-smi', rocmSmi: join(bin, 'replay-rocm-smi') });
    try {
      choice.setWanted(true);
      await until('samples', () => seen.samples.length >= 1);
      assert.deepEqual(choice.state, { kind: 'local', vendor: 'amd' });
      assert.equal(seen.samples[0]!.length, 4, 'the four MI100 cards of the capture');
      assert.deepEqual(seen.unavailable, []);
    } finally {
      choice.dispose();
    }
  });

  it('says once that neither tool is there, naming both, and looks again only when the settings change', async () => {
    const commands = { nvidiaSmi: '/nonexistent/nvidia-smi', rocmSmi: '/nonexistent/rocm-smi' };
    const { choice, seen } = choose(commands);
    try {
      choice.setWanted(true);
      await until('the problem', () => seen.unavailable.length >= 1);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(seen.unavailable.length, 1);
      assert.match(seen.unavailable[0]!, /nvidia-smi.*; .*rocm-smi/);
      assert.equal(choice.state.kind, 'none');
      choice.setWanted(true); // shown again: no new attempt
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.unavailable.length, 1);
      commands.nvidiaSmi = join(bin, 'replay-nvidia-smi'); // the user set mlEngineer.gpu.nvidiaSmiPath
      choice.reset();
      await until('samples after the reset', () => seen.samples.length >= 1);
      assert.deepEqual(choice.state, { kind: 'local', vendor: 'nvidia' });
    } finally {
      choice.dispose();
    }
  });

  it('runs no sampler while nothing shows GPUs, and starts again when something does', async () => {
    const { choice, seen } = choose({ nvidiaSmi: join(bin, 'replay-nvidia-smi'), rocmSmi: join(bin, 'replay-rocm-smi') });
    try {
      choice.setWanted(true);
      await until('samples', () => seen.samples.length >= 1);
      choice.setWanted(false);
      assert.deepEqual(choice.state, { kind: 'off' });
      await new Promise((r) => setTimeout(r, 300));
      const stopped = seen.samples.length;
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(seen.samples.length, stopped, 'no samples while hidden');
      choice.setWanted(true);
      await until('samples again', () => seen.samples.length > stopped);
    } finally {
      choice.dispose();
    }
  });
});
