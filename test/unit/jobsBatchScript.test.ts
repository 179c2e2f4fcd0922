import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { batchScript, checkBatchOptions, hasSbatchDirectives, shellQuote } from '../../src/jobs/batchScript';

// The batch scripts Submit to Slurm writes: what they ask for, and that bash reads them (bash -n);
// the integration test submits them to a real cluster.

const bashAccepts = (script: string): void => {
  execFileSync('bash', ['-n'], { input: script });
};

describe('batch scripts for a .py or .sh file', () => {
  it('one GPU: #SBATCH lines for the form, the venv activated, python unbuffered', () => {
    const s = batchScript({ program: 'train.py', args: ['--lr', '0.1'], jobName: 'train', partition: 'gpu', gpus: 1, time: '2:00:00', memory: '16G', environment: { kind: 'venv', path: '/home/me/.venv/' } });
    assert.match(s, /^#!\/bin\/bash\n/);
    for (const line of ['#SBATCH --job-name=train', '#SBATCH --partition=gpu', '#SBATCH --gres=gpu:1', '#SBATCH --time=2:00:00', '#SBATCH --mem=16G', '#SBATCH --output=slurm-%j.out', 'source /home/me/.venv/bin/activate', 'export PYTHONUNBUFFERED=1', 'python3 train.py --lr 0.1']) {
      assert.ok(s.split('\n').includes(line), `${line} in\n${s}`);
    }
    assert.ok(!s.includes('torchrun'));
    assert.ok(hasSbatchDirectives(s));
    bashAccepts(s);
  });

  it('several GPUs or nodes: one torchrun per node, the rendezvous on the first node', () => {
    const s = batchScript({ program: 'ddp train.py', jobName: 'ddp', gpus: 4, gpuType: 'a100', nodes: 2, environment: { kind: 'conda', name: 'torch' } });
    assert.ok(s.includes('#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=1\n#SBATCH --gres=gpu:a100:4\n'));
    assert.ok(s.includes('head_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)'));
    assert.ok(s.includes(`srun torchrun --nnodes="$SLURM_NNODES" --nproc-per-node=4 --rdzv-id="$SLURM_JOB_ID" --rdzv-backend=c10d --rdzv-endpoint="$head_node:29500" 'ddp train.py'`));
    assert.ok(s.includes('conda activate torch'));
    bashAccepts(s);
  });

  it('a shell script runs under bash; module loads; quoting survives quotes and spaces', () => {
    const s = batchScript({ program: "it's here.sh", args: ['a b', '$HOME'], jobName: 'sh', gpus: 0, environment: { kind: 'modules', names: ['cuda/12.1'] } });
    assert.ok(s.includes(`bash 'it'\\''s here.sh' 'a b' '$HOME'`));
    assert.ok(s.includes('module load cuda/12.1'));
    assert.ok(!s.includes('--gres'));
    bashAccepts(s);
    assert.equal(execFileSync('bash', ['-c', `printf %s ${shellQuote("a'b $x")}`], { encoding: 'utf8' }), "a'b $x");
  });

  it('bad form values are refused in words, before anything is written', () => {
    assert.deepEqual(checkBatchOptions({ program: 'x.py', jobName: 'x', gpus: 1, time: '2h', memory: '16 GB' }).length, 2);
    assert.throws(() => batchScript({ program: 'x.py', jobName: 'x y', gpus: 1 }), /job name/);
    assert.throws(() => batchScript({ program: 'x.py', jobName: 'x', gpus: 1, partition: 'gpu --wrap=rm' }), /partition/);
    assert.throws(() => batchScript({ program: 'x.py', jobName: 'x', gpus: -1 }), /GPUs/);
  });

  it('a file with its own #SBATCH lines is recognised (it is submitted as it is)', () => {
    assert.ok(hasSbatchDirectives('#!/bin/bash\n# my job\n#SBATCH --gres=gpu:1\npython x.py\n'));
    assert.ok(!hasSbatchDirectives('#!/bin/bash\necho hi\n#SBATCH --gres=gpu:1\n'), 'sbatch stops reading directives at the first command');
    assert.ok(!hasSbatchDirectives('import torch\n'));
  });
});
