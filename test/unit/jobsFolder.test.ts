import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobFolderAction } from '../../src/jobs/jobFolder';
import type { JobInfo } from '../../src/jobs/jobScheduler';

// Open Working Folder's choice (src/jobs/jobFolder.ts), on real folders: the Explorer inside the
// workspace, a new window or the OS elsewhere on this machine, the path only for a cluster's own.

describe('jobs: Open Working Folder', () => {
  let root: string;
  const local = { id: 'local' };
  const ssh = { id: 'gpu-login', sshHost: 'gpu-login' };
  const job = (workDir?: string, stdoutPath?: string): JobInfo => ({ id: '42', name: 'train', state: 'RUNNING', phase: 'running', gpus: 0, ...(workDir ? { workDir } : {}), ...(stdoutPath ? { stdoutPath } : {}) });

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'ml-job-folder-'));
    mkdirSync(join(root, 'ws', 'runs'), { recursive: true });
    mkdirSync(join(root, 'scratch'));
    writeFileSync(join(root, 'scratch', 'slurm-42.out'), '');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a folder inside the workspace is revealed in the Explorer', async () => {
    assert.deepEqual(await jobFolderAction(local, job(join(root, 'ws', 'runs')), [join(root, 'ws')]), { kind: 'reveal', dir: join(root, 'ws', 'runs') });
    assert.deepEqual(await jobFolderAction(local, job(join(root, 'ws')), [join(root, 'ws')]), { kind: 'reveal', dir: join(root, 'ws') });
  });

  it('a folder elsewhere on this machine is opened (a new window or the OS, asked)', async () => {
    assert.deepEqual(await jobFolderAction(local, job(join(root, 'scratch')), [join(root, 'ws')]), { kind: 'open', dir: join(root, 'scratch') });
  });

  it('an SSH cluster\'s folder opens only on a shared file system; otherwise its path is offered with why', async () => {
    const shared = await jobFolderAction(ssh, job(join(root, 'scratch'), join(root, 'scratch', 'slurm-42.out')), []);
    assert.deepEqual(shared, { kind: 'open', dir: join(root, 'scratch') });
    // The same path exists here, but the job's output file does not: not the cluster's folder.
    const lookalike = await jobFolderAction(ssh, job(join(root, 'scratch'), join(root, 'scratch', 'slurm-43.out')), []);
    assert.equal(lookalike.kind, 'copy');
    assert.match(lookalike.kind === 'copy' ? lookalike.why : '', /is on gpu-login, which this window cannot open.*Remote-SSH/);
    const remote = await jobFolderAction(ssh, job('/cluster/only/folder', '/cluster/only/folder/slurm-42.out'), []);
    assert.deepEqual(remote.kind === 'copy' && remote.dir, '/cluster/only/folder');
  });

  it('a local folder that is gone, or none named, is said so', async () => {
    const gone = await jobFolderAction(local, job(join(root, 'gone')), []);
    assert.equal(gone.kind, 'copy');
    assert.match(gone.kind === 'copy' ? gone.why : '', /is not a folder on this machine/);
    assert.deepEqual(await jobFolderAction(local, job(), []), { kind: 'none', why: 'Slurm names no working folder for job 42.' });
  });
});
