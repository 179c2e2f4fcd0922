import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { GpuSample } from '../../src/gpu/gpuSample';
import { startKernelGpuSampling } from '../../src/gpu/kernelGpuSampling';
import { execute } from '../../src/kernels/execution';
import { startJupyter, waitFor, type JupyterFixture } from '../support/jupyterHarness';

const STAND_IN = join(__dirname, '..', 'fixtures', 'bin', 'replay-nvidia-smi');

describe('GPUs of a kernel\'s machine, sampled inside the kernel (a real Jupyter server)', function () {
  this.timeout(90_000);
  let jupyter: JupyterFixture;
  const saved = process.env.REPLAY_CAPTURE;

  before(async () => {
    // The kernel's nvidia-smi is the stand-in replaying a real H100 capture (the server passes our env on).
    process.env.REPLAY_CAPTURE = 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv';
    jupyter = await startJupyter();
  });
  after(async () => {
    process.env.REPLAY_CAPTURE = saved;
    await jupyter?.close();
  });

  it('keeps sampling while a cell runs, leaves the namespace alone, and stops when closed', async () => {
    const kernel = await jupyter.start();
    const snapshots: GpuSample[][] = [];
    const problems: string[] = [];
    const sampling = startKernelGpuSampling(kernel, {
      command: STAND_IN,
      intervalMs: 300,
      onSamples: (s) => snapshots.push(s),
      onProblem: (m) => problems.push(m),
    });
    assert.ok((await sampling.host).length > 0);
    await waitFor(() => snapshots.length >= 2, 20_000, 'the first samples');
    assert.equal(snapshots[0]?.[0]?.name, 'NVIDIA H100 80GB HBM3');
    assert.equal(snapshots[0]?.[0]?.memoryTotalMiB, 81559);

    // A long cell holds the kernel's main thread; the sampler's thread keeps sending.
    const cell = execute(kernel, 'import time\ntime.sleep(2)\nprint("done")');
    await waitFor(() => kernel.status === 'busy', 10_000, 'the cell to start');
    const during = snapshots.length;
    await cell.done;
    assert.ok(snapshots.length >= during + 3, `samples while the cell ran: ${snapshots.length - during}`);
    assert.deepEqual(cell.outputs.outputs, [{ type: 'stream', name: 'stdout', text: 'done\n' }], 'nothing of the sampler in the cell');
    const names = execute(kernel, "sorted(n for n in dir() if n in ('comm', 'loop', 'stop', 'host', 'subprocess'))");
    await names.done;
    assert.equal(names.outputs.outputs[0]?.type === 'execute_result' ? names.outputs.outputs[0].data['text/plain'] : '', '[]');

    sampling.dispose();
    await new Promise((r) => setTimeout(r, 800));
    const after = snapshots.length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(snapshots.length, after, 'no samples after dispose');
    assert.deepEqual(problems, []);
  });

  it('says when the kernel\'s machine has no nvidia-smi, once', async () => {
    const kernel = await jupyter.start();
    const problems: { message: string; fatal: boolean }[] = [];
    const sampling = startKernelGpuSampling(kernel, { command: '/nonexistent/nvidia-smi', intervalMs: 200, onSamples: () => undefined, onProblem: (message, fatal) => problems.push({ message, fatal }) });
    await waitFor(() => problems.length > 0, 20_000, 'the problem');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /\/nonexistent\/nvidia-smi was not found on /);
    assert.equal(problems[0]!.fatal, true);
    sampling.dispose();
  });
});
