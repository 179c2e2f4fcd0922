import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { GpuSample } from '../../src/gpu/gpuSample';
import { defaultGpuSamplers, GpuSourceChoice, type GpuSourceState } from '../../src/gpu/gpuSourceChoice';
import { startKernelGpuSampling } from '../../src/gpu/kernelGpuSampling';
import { silentLogger } from '../../src/common/logger';
import { execute } from '../../src/kernels/execution';
import { startJupyter, waitFor, type JupyterFixture } from '../support/jupyterHarness';

const STAND_IN = join(__dirname, '..', 'fixtures', 'bin', 'replay-nvidia-smi');
const H100 = 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv';
const RTX4080 = 'linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__load__query-gpu.csv';

describe('GPUs of a kernel\'s machine, sampled inside the kernel (a real Jupyter server)', function () {
  this.timeout(90_000);
  let jupyter: JupyterFixture;
  const saved = process.env.REPLAY_CAPTURE;
  const savedPath = process.env.PATH;

  before(async () => {
    // The kernel's nvidia-smi (named, or on its PATH) is the stand-in replaying a real H100
    // capture: the server passes our environment on to its kernels.
    process.env.REPLAY_CAPTURE = H100;
    process.env.PATH = `${join(__dirname, '..', 'fixtures', 'bin', 'nvidia-smi-on-path')}${delimiter}${savedPath ?? ''}`;
    jupyter = await startJupyter();
    process.env.PATH = savedPath;
  });
  after(async () => {
    process.env.REPLAY_CAPTURE = saved;
    process.env.PATH = savedPath;
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

    // A cell holds the kernel's main thread until three more samples came; the sampler's thread
    // keeps sending. (Waiting on samples, not a fixed sleep: each sample starts the Node stand-in,
    // which takes a second on a loaded machine.)
    const release = join(mkdtempSync(join(tmpdir(), 'mle-gpu-')), 'release');
    const cell = execute(kernel, `import os, time\nwhile not os.path.exists(${JSON.stringify(release)}):\n    time.sleep(0.05)\nprint("done")`);
    await waitFor(() => kernel.status === 'busy', 10_000, 'the cell to start');
    const during = snapshots.length;
    await waitFor(() => snapshots.length >= during + 3, 30_000, 'three samples while the cell runs');
    assert.equal(kernel.status, 'busy', 'the cell still held the main thread');
    writeFileSync(release, '');
    assert.equal(await cell.done, 'ok');
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

  it("shows the GPUs of the active notebook's remote kernel instead of this machine's, and this machine's again after", async () => {
    // This machine: the stand-in replaying an RTX 4080 capture. The kernel's machine: the H100 one.
    process.env.REPLAY_CAPTURE = RTX4080;
    const kernel = await jupyter.start();
    const shown: { name: string; state: GpuSourceState }[] = [];
    const unavailable: string[] = [];
    let switched = 0;
    const choice = new GpuSourceChoice(
      defaultGpuSamplers(silentLogger, () => ({ nvidiaSmi: STAND_IN, rocmSmi: '/nonexistent/rocm-smi' })),
      { samples: (s, state) => shown.push({ name: s[0]!.name, state }), switched: () => switched++, unavailable: (p) => unavailable.push(p), failing: () => undefined },
      silentLogger,
      300,
    );
    try {
      choice.setWanted(true);
      await waitFor(() => shown.some((s) => s.name === 'NVIDIA GeForce RTX 4080 SUPER'), 20_000, "this machine's GPUs");
      choice.setRemote({ key: kernel.id, label: '127.0.0.1:8888', connection: kernel });
      assert.equal(switched, 1);
      assert.deepEqual(choice.state, { kind: 'remote', key: kernel.id, label: '127.0.0.1:8888' }, "the server's label until the kernel says its host");
      const from = shown.length;
      await waitFor(() => shown.slice(from).some((s) => s.name === 'NVIDIA H100 80GB HBM3'), 30_000, "the kernel's GPUs");
      assert.deepEqual(choice.state, { kind: 'remote', key: kernel.id, label: hostname() });
      const remote = shown.slice(from).filter((s) => s.name === 'NVIDIA H100 80GB HBM3');
      assert.ok(remote.every((s) => s.state.kind === 'remote'));
      await new Promise((r) => setTimeout(r, 700));
      assert.ok(shown.slice(from + 1).every((s) => s.name === 'NVIDIA H100 80GB HBM3'), 'only the kernel\'s GPUs while it is the source');
      choice.setRemote({ key: kernel.id, label: '127.0.0.1:8888', connection: kernel });
      assert.equal(switched, 1, 'the same kernel again changes nothing');
      choice.setRemote(undefined);
      assert.equal(switched, 2);
      const back = shown.length;
      await waitFor(() => shown.slice(back).some((s) => s.name === 'NVIDIA GeForce RTX 4080 SUPER'), 20_000, "this machine's GPUs again");
      assert.deepEqual(choice.state, { kind: 'local', vendor: 'nvidia' });
      assert.deepEqual(unavailable, []);
    } finally {
      choice.dispose();
      process.env.REPLAY_CAPTURE = H100;
    }
  });

  it("says there are no GPUs to show when the remote kernel's machine has no nvidia-smi", async () => {
    const kernel = await jupyter.start();
    const unavailable: string[] = [];
    const samplers = defaultGpuSamplers(silentLogger, () => ({ nvidiaSmi: STAND_IN, rocmSmi: '/nonexistent/rocm-smi' }));
    const choice = new GpuSourceChoice(
      // The kernel's machine without nvidia-smi: its sampler is asked for one that is not there.
      {
        local: (vendor, options) => samplers.local(vendor, options),
        remote: (source, options) => {
          const sampling = startKernelGpuSampling(source.connection, { ...options, command: '/nonexistent/nvidia-smi' });
          return { stop: () => sampling.dispose(), setInterval: () => undefined };
        },
      },
      { samples: () => undefined, switched: () => undefined, unavailable: (p) => unavailable.push(p), failing: () => undefined },
      silentLogger,
      300,
    );
    try {
      choice.setWanted(true);
      choice.setRemote({ key: kernel.id, label: 'gpu-box', connection: kernel });
      await waitFor(() => unavailable.length > 0, 20_000, 'the problem');
      assert.match(unavailable[0]!, /\/nonexistent\/nvidia-smi was not found on /);
      assert.equal(choice.state.kind, 'none');
    } finally {
      choice.dispose();
    }
  });
});
