import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmScheduler } from '../../src/jobs/slurm/slurmScheduler';
import { SshRunner } from '../../src/jobs/transport/sshRunner';
import { ensureSlurmCluster, waitFor } from '../support/slurm/slurmCluster';
import { sshdMissing, startSshServer, type SshServer } from '../support/sshServer';

// The Slurm backend over the SSH runner, as for a cluster reached from the user's own machine: a
// real sshd on a loopback port in front of the real single-node Slurm. Everything goes through
// one login (the ControlMaster connection).

describe('Slurm jobs over SSH (real sshd in front of a real Slurm)', function () {
  this.timeout(120_000);
  let server: SshServer;
  let runner: SshRunner;
  let slurm: SlurmScheduler;
  let dir: string;
  const submitted: string[] = [];

  before(async function () {
    const missing = sshdMissing();
    const cluster = await ensureSlurmCluster();
    if (missing || !cluster.ok) {
      console.log(`    skipped: ${missing ?? (cluster.ok ? '' : cluster.reason)}`);
      this.skip();
    }
    server = await startSshServer();
    runner = new SshRunner(server.alias, { configFile: server.configFile, connectTimeoutSeconds: 10 });
    slurm = new SlurmScheduler(runner, { format: 'json' });
    dir = mkdtempSync(join(tmpdir(), 'ml-slurm-ssh-'));
  });

  after(async () => {
    for (const id of submitted) await slurm?.act('cancel', id).catch(() => undefined);
    await runner?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the cluster, submits, lists, follows the output and cancels, all over one login', async () => {
    const loginsBefore = server.logins();
    const info = await slurm.clusterInfo();
    assert.ok(info.partitions.some((p) => p.name === 'debug'), 'the debug partition, read over SSH');
    const name = `mlssh${randomBytes(3).toString('hex')}`;
    const script = ['#!/bin/bash', `#SBATCH --job-name=${name}`, '#SBATCH --output=%x-%j.out', 'echo "hello over ssh"', 'sleep 300', ''].join('\n');
    const id = await slurm.submit({ script, cwd: dir });
    submitted.push(id);
    assert.match(id, /^\d+$/);
    const running = await waitFor(`job ${id} running`, async () => {
      const job = (await slurm.jobs({})).find((j) => j.id === id);
      return job?.state === 'RUNNING' ? job : undefined;
    }, 30_000);
    assert.equal(running.name, name);
    const out = await waitFor('its output', async () => {
      const chunk = await slurm.readOutput(join(dir, `${name}-${id}.out`), 0, 4096).catch(() => undefined);
      return chunk?.text.includes('hello over ssh') ? chunk : undefined;
    }, 30_000);
    assert.equal(out.offset, 0);
    await slurm.act('cancel', id);
    await waitFor(`job ${id} cancelled`, async () => {
      const job = await slurm.job(id);
      return !job || job.state !== 'RUNNING' ? true : undefined;
    }, 30_000);
    assert.equal(server.logins() - loginsBefore, 1, 'one login for every command');
  });
});
