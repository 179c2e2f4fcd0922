import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeProcess, linuxParent, ownerOf, parseComputeApps, queryGpuProcesses } from '../../src/gpu/gpuProcesses';

const fixtures = join(__dirname, '..', 'fixtures');
const capture = (name: string) => readFileSync(join(fixtures, 'nvidia-smi', name), 'utf8');
const standIn = join(fixtures, 'bin', 'replay-nvidia-smi');

describe('GPU processes (nvidia-smi --query-compute-apps)', () => {
  it('reads the real captures: pids, names and memory, [N/A] memory on Windows', () => {
    const h100 = parseComputeApps(capture('linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-compute-apps.csv'));
    assert.deepEqual(
      h100.map((p) => [p.pid, p.name, p.usedMemoryMiB]),
      [
        [11327, '/root/tools/memhog', 2566],
        [11328, '/root/tools/memhog', 1542],
        [11345, './gpu_burn', 15690],
      ],
    );
    assert.equal(h100[0]?.gpuUuid, 'GPU-00000000-0000-0000-0000-000000000000');
    const rtx = parseComputeApps(capture('linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__load__query-compute-apps.csv'));
    assert.deepEqual(rtx.map((p) => p.name), ['/usr/bin/kwin_wayland', 'ffmpeg', 'ffmpeg']);
    const windows = parseComputeApps(capture('windows-x86_64__nvidia-geforce-rtx-2080-super__610.62__idle__query-compute-apps.csv'));
    assert.equal(windows.length, 19);
    assert.ok(windows.every((p) => p.usedMemoryMiB === null));
    assert.ok(windows.some((p) => p.name === 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'));
    assert.deepEqual(parseComputeApps(capture('linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-compute-apps.csv').split('\n')[0]!), []);
  });

  it('keeps a process name that contains commas whole', () => {
    const text = 'gpu_uuid, pid, used_gpu_memory, process_name\nGPU-1, 77, 2048, python train.py --tags a, b, c\n';
    assert.deepEqual(parseComputeApps(text), [{ gpuUuid: 'GPU-1', pid: 77, name: 'python train.py --tags a, b, c', usedMemoryMiB: 2048 }]);
    const nameFirst = 'process_name, pid, used_gpu_memory [MiB]\nmy, odd, name, 5, 100 MiB\n';
    assert.deepEqual(parseComputeApps(nameFirst).map((p) => [p.name, p.pid, p.usedMemoryMiB]), [['my, odd, name', 5, 100]]);
  });

  it('queries the processes through the executable, and says why when it cannot', async () => {
    const env = process.env;
    process.env = { ...env, REPLAY_APPS: 'linux-x86_64__nvidia-h100-mig__590.48.01__load__query-compute-apps.csv', REPLAY_APPS_EXTRA: '4242:1024:/usr/bin/python3, -m ipykernel_launcher' };
    try {
      const result = await queryGpuProcesses(standIn);
      assert.ok(result.ok);
      assert.deepEqual(result.processes.map((p) => p.pid), [21180, 21181, 21198, 4242]);
      assert.equal(result.processes[3]?.name, '/usr/bin/python3, -m ipykernel_launcher');
    } finally {
      process.env = env;
    }
    const missing = await queryGpuProcesses('/nonexistent/nvidia-smi');
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.problem : '', /not found/);
  });

  it('names the kernel that holds the memory, also through its child processes', async () => {
    // A real process tree: a shell (standing in for a kernel) and its child (a DataLoader worker).
    const shell = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const childPid = await new Promise<number>((resolve) => shell.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      assert.equal(linuxParent(childPid), shell.pid);
      const owners = new Map([[shell.pid!, 'train.ipynb']]);
      assert.equal(ownerOf(shell.pid!, owners), 'train.ipynb');
      assert.equal(ownerOf(childPid, owners), 'train.ipynb (child process)');
      assert.equal(ownerOf(process.pid, owners), undefined);
      assert.equal(
        describeProcess({ gpuUuid: 'GPU-1', pid: childPid, name: '/usr/bin/python3', usedMemoryMiB: 12390 }, ownerOf(childPid, owners)),
        `12.1 GB: train.ipynb (child process) (pid ${childPid}, /usr/bin/python3)`,
      );
    } finally {
      shell.kill();
    }
  });
});
