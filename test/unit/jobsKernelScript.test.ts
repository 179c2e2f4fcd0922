import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { kernelJobScript, readyAddress, READY_PREFIX } from '../../src/jobs/kernel/kernelJobScript';

const TOKEN = 'ab'.repeat(24);

describe('the kernel job\'s batch script', () => {
  it('is valid bash with its #SBATCH lines before any command, and the token only in an export', () => {
    const script = kernelJobScript({ partition: 'gpu', gpus: 2, gpuType: 'a100', time: '2:00:00', memory: '32G', workDir: '/home/me/proj x', environment: { kind: 'venv', path: '/home/me/.venv/' } }, TOKEN);
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
    const lines = script.split('\n');
    const firstCommand = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
    const lastSbatch = lines.map((l) => l.startsWith('#SBATCH')).lastIndexOf(true);
    assert.ok(lastSbatch < firstCommand);
    for (const want of ['#SBATCH --partition=gpu', '#SBATCH --gres=gpu:a100:2', '#SBATCH --time=2:00:00', '#SBATCH --mem=32G', "source /home/me/.venv/bin/activate"]) assert.ok(lines.includes(want), want);
    assert.deepEqual(lines.filter((l) => l.includes(TOKEN)), [`export JUPYTER_TOKEN=${TOKEN}`]);
    assert.ok(lines.some((l) => l.includes('shutdown_no_activity_timeout=3600')), 'idle for an hour by default');
  });

  it('refuses a weak token and bad form values', () => {
    assert.throws(() => kernelJobScript({ gpus: 0 }, 'short'), /token/);
    assert.throws(() => kernelJobScript({ gpus: 0, partition: 'a b' }, TOKEN), /partition/);
    assert.throws(() => kernelJobScript({ gpus: -1 }, TOKEN), /GPUs/);
  });

  it('reads the node and port the job printed, and nothing else', () => {
    assert.deepEqual(readyAddress(`starting\n${READY_PREFIX} node=gpu-07.cluster port=40123\n[I ServerApp] ...`), { node: 'gpu-07.cluster', port: 40123 });
    assert.equal(readyAddress(`${READY_PREFIX} node= port=40123`), undefined);
    assert.equal(readyAddress(`${READY_PREFIX} node=-oProxy port=40123`), undefined, 'no option-like host');
    assert.equal(readyAddress(`${READY_PREFIX} node=n1 port=70000`), undefined);
    assert.equal(readyAddress(`echo ${READY_PREFIX} node=n1 port=1`), undefined, 'only at a line\'s start');
  });
});
