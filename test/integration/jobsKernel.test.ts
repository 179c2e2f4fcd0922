import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelJob, type KernelJobProgress } from '../../src/jobs/kernel/kernelJob';
import { KernelJobRecords } from '../../src/jobs/kernel/kernelJobRecords';
import { kernelPythonFor } from '../../src/jobs/kernel/kernelPython';
import { SlurmScheduler } from '../../src/jobs/slurm/slurmScheduler';
import { LocalRunner } from '../../src/jobs/transport/localRunner';
import { SshRunner } from '../../src/jobs/transport/sshRunner';
import { runProcess } from '../../src/common/process';
import { probeServer, serverSettings, type JupyterEndpoint } from '../../src/kernels/jupyterEndpoint';
import { execute } from '../../src/kernels/execution';
import type { CellOutput } from '../../src/kernels/outputModel';
import { jupyterPython, lib, waitFor as waitUntil } from '../support/jupyterHarness';
import { JsonState, MapSecrets } from '../support/memoryStorage';
import { ensureSlurmCluster, waitFor } from '../support/slurm/slurmCluster';
import { sshdMissing, startSshServer, type SshServer } from '../support/sshServer';

// "Start Kernel on Slurm": a real Jupyter server in a job of the real single-node Slurm, a cell run
// in it, and both ends of its life (stopped by us, cancelled by Slurm). Locally (a login node's
// window reaches the node directly) and through a real sshd, over a port forwarded on the master.

const streams = (outputs: readonly CellOutput[]): string => outputs.map((o) => (o.type === 'stream' ? o.text : '')).join('');

/** Runs one cell on a new kernel of the server (or the running one `kernelId` names); returns what it printed. */
async function runCell(endpoint: JupyterEndpoint, code: string, kernelId?: string): Promise<string> {
  const settings = serverSettings(lib, endpoint);
  const model = kernelId ? { id: kernelId, name: 'python3' } : await lib.KernelAPI.startNew({ name: 'python3' }, settings);
  const kernel = new lib.KernelConnection({ model, serverSettings: settings });
  try {
    await waitUntil(() => kernel.connectionStatus === 'connected' && kernel.status === 'idle', 60_000, 'the kernel to be idle');
    const run = execute(kernel, code);
    assert.equal(await run.done, 'ok', streams(run.outputs.outputs));
    return streams(run.outputs.outputs);
  } finally {
    kernel.dispose();
  }
}

const CELL = "import os\nprint(os.environ.get('SLURM_JOB_ID'), os.environ.get('SLURM_GPUS_ON_NODE'), sorted(k for k in os.environ if 'TOKEN' in k))";

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

describe('A Jupyter kernel on a Slurm job (real slurmd, real Jupyter server)', function () {
  this.timeout(180_000);
  let python: string;
  let dir: string;
  const slurm = new SlurmScheduler(new LocalRunner(), { format: 'json' });
  const started: KernelJob[] = [];

  before(async function () {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) {
      console.log(`    skipped: ${cluster.reason}`);
      this.skip();
    }
    python = await jupyterPython();
    dir = mkdtempSync(join(tmpdir(), 'mle-kernel-job-'));
  });

  after(async () => {
    for (const k of started) await slurm.act('cancel', k.jobId).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a cell on the allocation, keeps the token out of the output and the kernel, and Stop ends the job', async () => {
    const progress: KernelJobProgress['phase'][] = [];
    const job = await KernelJob.start(slurm, new LocalRunner(), { python, gpus: 1, time: '10', workDir: dir, idleMinutes: 5, onProgress: (p) => progress.push(p.phase) });
    started.push(job);
    assert.deepEqual([...new Set(progress)].filter((p) => p !== 'pending'), ['submitted', 'starting']);
    assert.equal(job.job.state, 'RUNNING');
    assert.equal(job.endsAt, (job.job.startTime ?? 0) + 600, 'ends at its 10-minute limit');
    assert.match(job.endpoint.baseUrl, new RegExp(`^http://${job.node}:${job.remotePort}/$`));

    const printed = await runCell(job.endpoint, CELL);
    assert.equal(printed.trim(), `${job.jobId} 1 []`, 'the cell ran inside the job, on its one GPU, without any token in its environment');

    const output = readdirSync(dir).filter((f) => f.startsWith('jupyter-kernel-'));
    assert.deepEqual(output, [`jupyter-kernel-${job.jobId}.out`]);
    const log = readFileSync(join(dir, output[0]!), 'utf8');
    assert.match(log, /ML Engineer kernel server: node=\S+ port=\d+/);
    assert.ok(!log.includes(job.endpoint.token), 'the token is not in the job\'s output');

    await job.stop();
    const ended = await job.check();
    assert.deepEqual(ended, { ended: true, state: 'COMPLETED' }, 'the server\'s shutdown ended the job');
    assert.equal((await probeServer(job.endpoint, { timeoutMs: 3_000 })).ok, false);
  });

  it('mlEngineer.jobs.kernelPython picks the cluster\'s Python: the server and its kernels run in that environment', async () => {
    const venv = join(dir, 'torch env');
    const made = await runProcess(python, ['-m', 'venv', '--system-site-packages', '--without-pip', venv], { timeoutMs: 60_000 });
    assert.equal(made.kind === 'exited' && made.code, 0, 'python -m venv');
    const chosen = kernelPythonFor({ local: 'conda:unused', 'other-cluster': 'python3' }, 'other-cluster');
    assert.deepEqual(chosen, { python: 'python3' }, 'per cluster');
    // A path with a space, quoted in the job's script.
    const setting = kernelPythonFor({ local: join(venv, 'bin', 'python') }, 'local')!;
    const job = await KernelJob.start(slurm, new LocalRunner(), { ...setting, gpus: 0, workDir: dir });
    started.push(job);
    assert.equal((await runCell(job.endpoint, 'import sys; print(sys.prefix)')).trim(), venv, 'the kernel runs in the venv the setting names');
    await job.stop();
  });

  it('a cancelled job takes its server down, and check() says so', async () => {
    const job = await KernelJob.start(slurm, new LocalRunner(), { python, gpus: 0, workDir: dir });
    started.push(job);
    assert.deepEqual(await job.check(), { ended: false, endpoint: job.endpoint });
    await slurm.act('cancel', job.jobId);
    const state = await waitFor('the job to end', async () => {
      const s = await job.check();
      return s.ended ? s : undefined;
    }, 30_000);
    assert.equal(state.ended && state.state, 'CANCELLED');
    assert.deepEqual(await KernelJob.reconnect(slurm, new LocalRunner(), job.record('local'), job.endpoint.token), { ended: true, state: 'CANCELLED' }, 'a reloaded window finds its record\'s job ended');
    await waitFor('the server to stop answering', async () => ((await probeServer(job.endpoint, { timeoutMs: 2_000 })).ok ? undefined : true), 30_000);
  });

  it('a job whose server cannot start fails with its output, and is not left running', async () => {
    const name = `nojupyter${process.pid}`;
    await assert.rejects(
      KernelJob.start(slurm, new LocalRunner(), { python: '/nonexistent/python3', gpus: 0, workDir: dir, jobName: name }),
      (error: Error) => {
        assert.match(error.message, /ended \(FAILED.*before its Jupyter server answered/s);
        assert.match(error.message, /nonexistent\/python3/, 'the job\'s own error is shown');
        return true;
      },
    );
    const left = (await slurm.jobs({})).filter((j) => j.name === name && j.phase !== 'finished');
    assert.deepEqual(left, []);
  });

  it('cancelling the wait (the user\'s Cancel) cancels the job it submitted', async () => {
    const controller = new AbortController();
    let id: string | undefined;
    const start = KernelJob.start(slurm, new LocalRunner(), {
      python,
      gpus: 0,
      workDir: dir,
      signal: controller.signal,
      onProgress: (p) => {
        id = p.jobId;
        controller.abort();
      },
    });
    await assert.rejects(start);
    assert.ok(id);
    const job = await waitFor('the job to end', async () => {
      const j = await slurm.job(id!);
      return j?.phase === 'finished' ? j : undefined;
    }, 30_000);
    assert.equal(job.state, 'CANCELLED');
  });

  describe('over SSH (a real sshd in front of the Slurm)', () => {
    let server: SshServer;
    let runner: SshRunner;

    before(async function () {
      const missing = sshdMissing();
      if (missing) {
        console.log(`    skipped: ${missing}`);
        this.skip();
      }
      server = await startSshServer();
      runner = new SshRunner(server.alias, { configFile: server.configFile, connectTimeoutSeconds: 10 });
    });
    after(async () => {
      await runner?.close();
      await server?.close();
    });

    it('reaches the server through a port forwarded on the one master; a dropped connection gets its forward back; Stop closes it', async () => {
      const overSsh = new SlurmScheduler(runner, { format: 'json' });
      const loginsBefore = server.logins();
      const job = await KernelJob.start(overSsh, runner, { python, gpus: 1, workDir: dir });
      started.push(job);
      const port = Number(new URL(job.endpoint.baseUrl).port);
      assert.match(job.endpoint.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.notEqual(port, job.remotePort);
      assert.equal((await runCell(job.endpoint, CELL)).trim(), `${job.jobId} 1 []`);
      assert.equal(server.logins() - loginsBefore, 1, 'submit, polls and the tunnel share one login');

      // The network drops: the master dies, and with it the forward; check() makes both again, on the same port.
      assert.ok(server.dropConnections() > 0);
      await waitFor('the forward to go', async () => ((await refused(port)) ? true : undefined), 20_000);
      assert.deepEqual(await job.check(), { ended: false, endpoint: job.endpoint });
      assert.equal(Number(new URL(job.endpoint.baseUrl).port), port, 'the same URL as before');
      assert.equal((await probeServer(job.endpoint, { timeoutMs: 5_000 })).ok, true);

      await job.stop();
      assert.equal(await refused(port), true, 'the forward is gone');
      assert.deepEqual(await job.check(), { ended: true, state: 'COMPLETED' });
    });

    it('a reloaded window reconnects from its record (token in the secret store) to the same kernel, its variables still there', async () => {
      const state = new JsonState();
      const secrets = new MapSecrets();
      const before = new KernelJobRecords(state, secrets);
      const job = await KernelJob.start(new SlurmScheduler(runner, { format: 'json' }), runner, { python, gpus: 0, workDir: dir });
      started.push(job);
      await before.save(job.record(server.alias), job.endpoint.token);
      const kernelId = (await lib.KernelAPI.startNew({ name: 'python3' }, serverSettings(lib, job.endpoint))).id;
      assert.equal((await runCell(job.endpoint, 'answer = 41 * 2\nprint(answer)', kernelId)).trim(), '82');
      assert.ok(!state.text().includes(job.endpoint.token), 'the workspace state holds no token');
      assert.equal(await secrets.get(`mlEngineer.jobs.kernelToken/${server.alias}/${job.jobId}`), job.endpoint.token);
      const url = job.endpoint.baseUrl;
      const port = Number(new URL(url).port);

      // The window reloads: its tunnel and its SSH master go with its extension host; the job stays.
      await job.close();
      await runner.close();
      server.dropConnections();
      await waitFor('the forward to go', async () => ((await refused(port)) ? true : undefined), 20_000);

      const next = new SshRunner(server.alias, { configFile: server.configFile, connectTimeoutSeconds: 10 });
      try {
        const scheduler = new SlurmScheduler(next, { format: 'json' });
        const after = new KernelJobRecords(state, secrets);
        const [record] = after.list();
        assert.deepEqual(record, { cluster: server.alias, jobId: job.jobId, node: job.node, remotePort: job.remotePort, localPort: port });
        await assert.rejects(KernelJob.reconnect(scheduler, next, record, 'f'.repeat(48)), /still runs, but its Jupyter server .* did not answer/);
        const back = await KernelJob.reconnect(scheduler, next, record, (await after.token(record))!);
        assert.ok(back instanceof KernelJob);
        started.push(back);
        assert.equal(back.endpoint.baseUrl, url, 'the same local port, so the same URL');
        assert.equal((await runCell(back.endpoint, 'print(answer + 1)', kernelId)).trim(), '83', 'the same kernel, its variable kept');

        await back.stop();
        assert.deepEqual(await KernelJob.reconnect(scheduler, next, record, job.endpoint.token), { ended: true, state: 'COMPLETED' });
        await after.remove(record);
        assert.deepEqual(new KernelJobRecords(state, secrets).list(), []);
        assert.equal(await secrets.get(`mlEngineer.jobs.kernelToken/${server.alias}/${job.jobId}`), undefined, 'the token goes with the record');
      } finally {
        await next.close();
        runner = new SshRunner(server.alias, { configFile: server.configFile, connectTimeoutSeconds: 10 });
      }
    });
  });
});
