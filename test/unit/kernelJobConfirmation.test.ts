import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { JobClusters } from '../../src/jobs/jobClusters';
import { jobTools } from '../../src/jobs/jobTools';
import { folderKernelPython } from '../../src/jobs/kernel/folderSettings';
import { HeldKernelJobs } from '../../src/jobs/kernel/kernelJobHost';

// start_kernel_job's approval without an editor (`ml-engineer ask`, MCP): the folder's
// .vscode/settings.json chooses the Python with no workspace trust, so the approval names that
// Python and where it came from, and a different Python is a different approval.
describe('jobs: start_kernel_job names the Python it runs', () => {
  let folder: string;
  const clusters = new JobClusters([{ id: 'local' }, { id: 'hpc', sshHost: 'login.example' }]);
  const startTool = () => jobTools({ clusters: () => clusters, kernelJobs: new HeldKernelJobs(() => clusters, (id) => folderKernelPython(folder, id), folder) }).find((t) => t.name === 'start_kernel_job')!;
  const settings = (value: unknown): void => writeFileSync(join(folder, '.vscode', 'settings.json'), `{\n  // chosen here\n  "mlEngineer.jobs.kernelPython": ${JSON.stringify(value)},\n}\n`);

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'kernel-confirm-'));
    mkdirSync(join(folder, '.vscode'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("says the folder's Python and that .vscode/settings.json chose it, in the text and the approval's scope", async () => {
    settings({ hpc: '/scratch/envs/torch/bin/python', local: 'conda:torch' });
    const tool = startTool();
    const context = { files: new WorkspaceFiles([{ name: 'ws', path: folder }]) } as unknown as ToolContext;
    assert.equal(tool.confirmation!(tool.input.parse({ cluster: 'hpc', gpus: 2 })), 'Start a Jupyter kernel job on Slurm (hpc) with 2 GPU(s), running /scratch/envs/torch/bin/python (from .vscode/settings.json)');
    assert.equal(tool.confirmation!(tool.input.parse({ cluster: 'local' })), 'Start a Jupyter kernel job on Slurm (local) with no GPU, running the python of conda environment torch (from .vscode/settings.json)');
    const before = await tool.approvalScope!(tool.input.parse({ cluster: 'hpc' }), context);
    assert.match(before, /\/scratch\/envs\/torch\/bin\/python \(from \.vscode\/settings\.json\)/);
    settings({ hpc: '/scratch/envs/other/bin/python' });
    assert.notEqual(await tool.approvalScope!(tool.input.parse({ cluster: 'hpc' }), context), before, 'another Python is approved anew');
  });

  it('says the default when the folder names none, and a bad value as its error', () => {
    const tool = startTool();
    assert.equal(tool.confirmation!(tool.input.parse({})), 'Start a Jupyter kernel job on Slurm with no GPU, running python3 (the default)');
    settings('python; rm -rf ~');
    assert.match(tool.confirmation!(tool.input.parse({})), /running no Python yet: mlEngineer\.jobs\.kernelPython: .* is not a Python/);
  });
});
