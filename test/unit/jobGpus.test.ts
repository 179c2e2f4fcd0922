import * as assert from 'node:assert/strict';
import { firstHost, jobGpuCommand, jobGpusText, readJobGpus } from '../../src/jobs/jobGpus';
import { isSchedulerError } from '../../src/jobs/jobScheduler';

// How a job's GPU step is asked and read; the integration test runs it on the real slurmd.

const job = { id: '42', nodes: 'gpu[07-08]' };
const argv = jobGpuCommand('42');

describe('a running job\'s GPUs (srun --overlap)', () => {
  it('asks one step on the job\'s first node, and refuses what is not a job id', () => {
    assert.deepEqual(argv.slice(0, 6), ['srun', '--jobid=42', '--overlap', '--nodes=1', '--ntasks=1', '--quiet']);
    assert.equal(argv[6], 'nvidia-smi');
    assert.throws(() => jobGpuCommand('--uid=0'), /not a running job's id/);
    assert.throws(() => jobGpuCommand('42_[1-3]'), /not a running job's id/);
  });

  it('reads samples (one with no utilization, as MIG reports) and says them in words', () => {
    const out = '0, GPU-1, NVIDIA H100 80GB HBM3, 87, 40, 62700, 81559, 65, 433.78, 700.00, 1980\n1, GPU-2, NVIDIA A100-SXM4-40GB, [N/A], [N/A], 1024, 40960, 31, 60.1, 400.00, 1410\n';
    const gpus = readJobGpus(job, { stdout: out, stderr: '', code: 0 }, argv);
    assert.equal(gpus.kind, 'gpus');
    assert.equal(jobGpusText(gpus), 'GPUs on gpu07, sampled now:\nGPU 0 NVIDIA H100 80GB HBM3: 87% busy, 61.2/79.6 GB, 65 °C, 434 W\nGPU 1 NVIDIA A100-SXM4-40GB: 1.0/40.0 GB, 31 °C, 60 W');
    assert.throws(() => readJobGpus(job, { stdout: 'garbage line\n', stderr: '', code: 0 }, argv), /not a GPU sample/);
  });

  it('names the job\'s first node from its host list', () => {
    assert.equal(firstHost('gpu[07-08,11]'), 'gpu07');
    assert.equal(firstHost('a1,a2'), 'a1');
    assert.equal(firstHost('vm'), 'vm');
    assert.equal(firstHost('n[3-4]-ib'), 'n3-ib');
    assert.equal(firstHost(undefined), undefined);
  });

  it('no nvidia-smi on the node is a state in words; any other failure is Slurm\'s own', () => {
    const stderr = 'slurmstepd-gpu07: error: execve(): nvidia-smi: No such file or directory\nsrun: error: gpu07: task 0: Exited with exit code 2\n';
    const none = readJobGpus(job, { stdout: '', stderr, code: 2 }, argv);
    assert.deepEqual(none, { kind: 'no-tool', node: 'gpu07', message: 'No GPU tool on gpu07: nvidia-smi is not on the job\'s PATH there.' });
    assert.throws(
      () => readJobGpus(job, { stdout: '', stderr: 'srun: error: Unable to confirm allocation for job 42: Invalid job id specified', code: 1 }, argv),
      (error: unknown) => isSchedulerError(error) && /Invalid job id specified/.test(error.schedulerMessage) && /no longer knows/.test(error.hint ?? ''),
    );
  });
});
