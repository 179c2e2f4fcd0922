import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool, ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { JobClusters } from '../../src/jobs/jobClusters';
import { jobRunsLabel, readableWorkDir, type FindLogs } from '../../src/jobs/jobRuns';
import type { JobInfo } from '../../src/jobs/jobScheduler';
import { jobTools } from '../../src/jobs/jobTools';
import { HeldKernelJobs } from '../../src/jobs/kernel/kernelJobHost';
import { RunCatalog } from '../../src/tracking/runCatalog';
import { TrackingReaders } from '../../src/tracking/workerSources';
import { ensureSlurmCluster, waitFor } from '../support/slurm/slurmCluster';

// A running job's curves (src/jobs/jobRuns.ts): a real Slurm job writes a Lightning CSV log step
// by step in its working folder; the folder is found readable, the tracking feature's discovery
// (its worker, as the editor and the MCP server run it) finds the log, job_status names it, and a
// catalog of that folder sees the steps grow while the job runs. The script waits for the test
// between its two halves, so "while it runs" holds on a loaded machine too.

describe('jobs: a running job\'s tracking logs on a real Slurm', function () {
  this.timeout(120_000);
  const tag = `mlr${randomBytes(3).toString('hex')}`;
  let dir: string;
  let clusters: JobClusters;
  let readers: TrackingReaders;
  let findLogs: FindLogs;
  let tools: Map<string, Tool>;
  let context: ToolContext;
  const ids: string[] = [];

  before(async function () {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) {
      console.log(`    skipped: ${cluster.reason}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'ml-slurm-runs-'));
    clusters = new JobClusters([{ id: 'local' }]);
    readers = new TrackingReaders();
    findLogs = async (folder) => (await readers.discover(folder)).sources.map((s) => ({ kind: s.kind, path: s.root }));
    tools = new Map(jobTools({ clusters: () => clusters, kernelJobs: new HeldKernelJobs(() => clusters), findLogs }).map((t) => [t.name, t]));
    context = { files: new WorkspaceFiles([{ name: 'ws', path: dir }]), applyChange: () => Promise.reject(new Error('no writes here')) };
  });
  after(async () => {
    for (const id of ids) await clusters?.scheduler().act('cancel', id).catch(() => undefined);
    clusters?.dispose();
    readers?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const status = async (jobId: string): Promise<string> => {
    const tool = tools.get('job_status')!;
    return (await tool.run(tool.input.parse({ job_id: jobId }), context, new AbortController().signal)).content;
  };

  it('finds the log in the working folder of a running job; job_status names it; its steps grow while the job runs', async () => {
    const csv = 'logs/version_0/metrics.csv';
    const steps = (from: number, to: number): string => `for i in $(seq ${from} ${to}); do echo "$i,0,0.$((90 - i))" >> ${csv}; done`;
    const script = [
      '#!/bin/bash',
      `#SBATCH --job-name=${tag}-curves`,
      '#SBATCH --output=%x-%j.out',
      'mkdir -p logs/version_0',
      'echo "lr: 0.01" > logs/version_0/hparams.yaml',
      `echo "step,epoch,train_loss" > ${csv}`,
      steps(0, 2),
      // The second half once the test has read the first.
      'while [ ! -e go ]; do sleep 0.2; done',
      steps(3, 5),
      'while [ ! -e stop ]; do sleep 0.2; done',
      '',
    ].join('\n');
    const id = await clusters.scheduler().submit({ script, cwd: dir });
    ids.push(id);
    const job = await waitFor(`job ${id} running`, async () => {
      const j = await clusters.scheduler().job(id);
      return j?.phase === 'running' && existsSync(join(dir, csv)) ? j : undefined;
    }, 60_000);

    // This machine's Slurm: its WorkDir is readable here.
    assert.equal(await readableWorkDir(clusters.ref('local'), job), dir);
    assert.equal(jobRunsLabel(clusters.ref('local'), job), `Slurm job ${id} (${tag}-curves)`);

    const text = await waitFor('job_status naming the log', async () => {
      const t = await status(id);
      return t.includes('Lightning CSV') ? t : undefined;
    }, 20_000);
    assert.match(text, new RegExp(`Tracking logs in its working folder .*:\\n- Lightning CSV: ${join(dir, 'logs').replace(/[.\\/]/g, '\\$&')}`));

    // The Experiments view's catalog of the added folder: the same reads it makes on each watched change.
    const catalog = new RunCatalog();
    try {
      catalog.setSources((await readers.discover(dir)).sources);
      const lastStep = async (): Promise<number | undefined> => {
        await catalog.loadAll();
        return catalog.runs()[0]?.metrics.find((m) => m.key === 'train_loss')?.lastStep;
      };
      assert.equal(await waitFor('three steps', async () => ((await lastStep()) === 2 ? 2 : undefined), 10_000), 2);
      writeFileSync(join(dir, 'go'), '');
      assert.equal(await waitFor('six steps', async () => ((await lastStep()) === 5 ? 5 : undefined), 20_000), 5);
      const still = await clusters.scheduler().job(id);
      assert.equal(still?.phase, 'running', 'the steps grew while the job ran');
    } finally {
      writeFileSync(join(dir, 'stop'), '');
      catalog.dispose();
    }
  });

  it('over SSH, a WorkDir is readable only where the job\'s output file is here too (a shared file system), never by its path alone', async () => {
    const ssh = { id: 'gpu-login', sshHost: 'gpu-login' };
    const base: JobInfo = { id: '7', name: 'x', state: 'RUNNING', phase: 'running', gpus: 0, workDir: dir };
    writeFileSync(join(dir, 'slurm-7.out'), '');
    assert.equal(await readableWorkDir(ssh, { ...base, stdoutPath: join(dir, 'slurm-7.out') }), dir);
    assert.equal(await readableWorkDir(ssh, { ...base, stdoutPath: join(dir, 'slurm-8.out') }), undefined);
    assert.equal(await readableWorkDir(ssh, base), undefined);
    assert.equal(await readableWorkDir({ id: 'local' }, { ...base, workDir: join(dir, 'absent') }), undefined);
    assert.equal(jobRunsLabel(ssh, base), 'Slurm job 7 (x) on gpu-login');
  });

  it('job_status of a job whose folder this machine cannot read says so', async () => {
    const id = await clusters.scheduler().submit({ script: `#!/bin/bash\n#SBATCH --job-name=${tag}-gone\n#SBATCH --output=/dev/null\nsleep 30\n`, cwd: dir });
    ids.push(id);
    await waitFor(`job ${id} running`, async () => ((await clusters.scheduler().job(id))?.phase === 'running' ? true : undefined), 60_000);
    // The folder goes away under the running job: what a cluster-only path looks like from here.
    const moved = `${dir}-moved`;
    renameSync(dir, moved);
    try {
      assert.match(await status(id), /Tracking logs: its working folder .* is not on a file system this machine can read/);
    } finally {
      renameSync(moved, dir);
    }
  });
});
