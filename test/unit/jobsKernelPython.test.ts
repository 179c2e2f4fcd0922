import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { kernelJobScript } from '../../src/jobs/kernel/kernelJobScript';
import { kernelPythonFor } from '../../src/jobs/kernel/kernelPython';

// mlEngineer.jobs.kernelPython: one value or one per cluster, read strictly, since it becomes a
// line of the kernel job's script.

describe('mlEngineer.jobs.kernelPython', () => {
  it('names a Python by path or command, or a conda environment, for every cluster or per cluster', () => {
    assert.deepEqual(kernelPythonFor('/home/me/venvs/torch/bin/python', 'local'), { python: '/home/me/venvs/torch/bin/python' });
    assert.deepEqual(kernelPythonFor(' python3.11 ', 'gpu-login'), { python: 'python3.11' });
    assert.deepEqual(kernelPythonFor('conda:torch', 'gpu-login'), { python: 'python', environment: { kind: 'conda', name: 'torch' } });
    assert.deepEqual(kernelPythonFor('conda:/scratch/envs/torch-2.3', 'local'), { python: 'python', environment: { kind: 'conda', name: '/scratch/envs/torch-2.3' } });
    const perCluster = { 'gpu-login': 'conda:torch', local: '' };
    assert.deepEqual(kernelPythonFor(perCluster, 'gpu-login'), { python: 'python', environment: { kind: 'conda', name: 'torch' } });
    assert.equal(kernelPythonFor(perCluster, 'local'), undefined, 'empty: the default');
    assert.equal(kernelPythonFor(perCluster, 'other'), undefined, 'a cluster left out: the default');
    assert.equal(kernelPythonFor(undefined, 'local'), undefined);
    assert.equal(kernelPythonFor('', 'local'), undefined);
  });

  it('refuses what is not a Python or an environment, saying what to write', () => {
    for (const bad of ['rm -rf /', 'python3; curl x', '/usr/bin/bash', 'bin/python', 'python 3', '/opt/x/python\\', '/opt/../bin/python', 'python3\nid', '$(id)/python']) {
      assert.throws(() => kernelPythonFor(bad, 'local'), /mlEngineer\.jobs\.kernelPython: .* is not a Python/, bad);
    }
    assert.throws(() => kernelPythonFor('~/venv/bin/python', 'local'), /full path .* does not expand ~/);
    assert.throws(() => kernelPythonFor('conda:torch env', 'local'), /not a conda environment/);
    assert.throws(() => kernelPythonFor('conda:', 'local'), /not a conda environment/);
    assert.throws(() => kernelPythonFor('conda:-n', 'local'), /not a conda environment/, 'an option, not a name');
    assert.throws(() => kernelPythonFor({ 'gpu-login': 3 }, 'gpu-login'), /kernelPython \("gpu-login"\) must be a string/);
    // Long runs of path characters are answered at once (no backtracking blow-up).
    const started = Date.now();
    assert.throws(() => kernelPythonFor(`conda:${'/a'.repeat(5000)}!`, 'local'));
    assert.throws(() => kernelPythonFor(`${'/a'.repeat(5000)}!python`, 'local'));
    assert.ok(Date.now() - started < 500);
  });

  it('a conda environment is activated in the job before its python starts Jupyter', () => {
    const chosen = kernelPythonFor('conda:torch', 'local')!;
    const script = kernelJobScript({ gpus: 0, python: chosen.python, ...(chosen.environment ? { environment: chosen.environment } : {}) }, 'ab'.repeat(24));
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
    const lines = script.split('\n');
    const activate = lines.indexOf('conda activate torch');
    assert.ok(activate > 0 && lines[activate - 1] === 'eval "$(conda shell.bash hook)"');
    assert.ok(lines.findIndex((l) => l.startsWith('python -m jupyter_server')) > activate);
  });
});
