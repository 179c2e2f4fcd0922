import * as assert from 'node:assert/strict';
import { delimiter, join } from 'node:path';
import { sampleJobGpus } from '../../src/jobs/jobGpus';
import { isSchedulerError } from '../../src/jobs/jobScheduler';
import { SlurmScheduler } from '../../src/jobs/slurm/slurmScheduler';
import { LocalRunner } from '../../src/jobs/transport/localRunner';
import { pathWithout } from '../support/pathWithout';
import { ensureSlurmCluster, waitFor } from '../support/slurm/slurmCluster';

// The GPUs of a running job, sampled on its node through `srun --overlap --jobid` on the real
// single-node Slurm. The node without nvidia-smi is a step whose PATH has none (on a GPU machine
// too); with the replaying stand-in on the step's PATH, real captures (an H100, a MIG H100) come
// back parsed.

const BIN = join(__dirname, '..', 'fixtures', 'bin', 'nvidia-smi-on-path');

describe('GPUs of a running Slurm job (srun --overlap on the real slurmd)', function () {
  this.timeout(90_000);
  const slurm = new SlurmScheduler(new LocalRunner(), { format: 'json' });
  let jobId: string | undefined;

  before(async function () {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) {
      console.log(`    skipped: ${cluster.reason}`);
      this.skip();
    }
    jobId = await slurm.submit({ script: '#!/bin/bash\n#SBATCH --job-name=mle-gpus\n#SBATCH --gres=gpu:1\n#SBATCH --output=/dev/null\nsleep 120\n' });
    await waitFor('the job to run', async () => ((await slurm.job(jobId!))?.phase === 'running' ? true : undefined), 30_000);
  });
  after(async () => {
    if (jobId) await slurm.act('cancel', jobId).catch(() => undefined);
  });

  it('a node without nvidia-smi: a clear "no GPU tool" state, not an error', async () => {
    const job = (await slurm.job(jobId!))!;
    // srun passes its environment to the step: a PATH without nvidia-smi, whatever this machine has.
    const gpus = await sampleJobGpus(new LocalRunner({ ...process.env, PATH: pathWithout(['nvidia-smi']) }), job);
    assert.equal(gpus.kind, 'no-tool');
    assert.match(gpus.kind === 'no-tool' ? gpus.message : '', /^No GPU tool on \S+: nvidia-smi is not on the job's PATH there\.$/);
  });

  for (const [capture, name, total, util] of [
    ['linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv', 'NVIDIA H100 80GB HBM3', 81559, 'number'],
    ['linux-x86_64__nvidia-h100-mig__590.48.01__load__query-gpu.csv', 'NVIDIA H100 80GB HBM3', 81559, 'null'],
  ] as const) {
    it(`samples the job's GPUs in a step beside it (${capture.split('__')[1]})`, async () => {
      const job = (await slurm.job(jobId!))!;
      // srun passes its environment to the step: the stand-in answers as nvidia-smi on the node.
      const runner = new LocalRunner({ ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`, REPLAY_CAPTURE: capture });
      const gpus = await sampleJobGpus(runner, job);
      assert.equal(gpus.kind, 'gpus');
      const samples = gpus.kind === 'gpus' ? gpus.samples : [];
      assert.ok(samples.length >= 1);
      assert.equal(samples[0]!.name, name);
      assert.equal(samples[0]!.memoryTotalMiB, total);
      assert.equal(typeof samples[0]!.utilizationGpu === 'number' ? 'number' : 'null', util, 'MIG reports no utilization: null, not 0');
    });
  }

  it('a job that no longer runs: Slurm\'s own refusal, verbatim', async () => {
    await assert.rejects(sampleJobGpus(new LocalRunner(), { id: '999999', phase: 'running' }), (error: unknown) => isSchedulerError(error) && /Invalid job id/.test(error.schedulerMessage));
    await assert.rejects(sampleJobGpus(new LocalRunner(), { id: jobId!, phase: 'finished' }), /not running/);
  });
});
