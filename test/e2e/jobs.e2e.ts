import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ensureSlurmCluster } from '../support/slurm/slurmCluster';
import type { CodeServer } from './support/codeServer';
import { rowContextMenu, runCommand, saveScreenshot } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

/**
 * Slurm jobs in code-server, on the real single-node cluster of test/support/slurm/: Submit to
 * Slurm… from the explorer (the form from sinfo, the script written beside the file and shown,
 * the confirmation), the job in the Jobs view running with its GPU, its output followed live, Cancel.
 */
describe('Slurm jobs (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  let skipReason: string | undefined;
  let jobId: string | undefined;
  let kernelJobId: string | undefined;
  let curvesJobId: string | undefined;
  let curvesDir: string | undefined;

  before(async () => {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) skipReason = cluster.reason;
  });
  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        writeFileSync(join(workspace, 'slurm_steps.sh'), 'for i in $(seq 1 120); do echo "step $i"; sleep 1; done\n');
      },
    },
    (opened) => void ({ server, page } = opened),
  );
  // A failed run leaves no job behind to match the next run's rows.
  after(() => {
    if (jobId) execFileSync('scancel', [jobId]);
    if (kernelJobId) execFileSync('scancel', [kernelJobId]);
    if (curvesJobId) execFileSync('scancel', [curvesJobId]);
    if (curvesDir) rmSync(curvesDir, { recursive: true, force: true });
  });
  beforeEach(function () {
    if (skipReason) {
      console.log(`    skipped: ${skipReason}`);
      this.skip();
    }
  });

  const jobsView = (): Locator => page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Jobs' }) });
  const jobRow = (text: string | RegExp): Locator => jobsView().locator('.monaco-list-row', { hasText: text }).first();

  const menu = (row: Locator, item: string): Promise<void> => rowContextMenu(page, () => Promise.resolve(row), item);

  async function pick(text: string | RegExp): Promise<void> {
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
  }

  async function confirm(text: RegExp, button: string): Promise<void> {
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), text);
    await dialog.locator('.monaco-button', { hasText: button }).first().click();
    await page.locator('.monaco-dialog-box', { hasText: text }).waitFor({ state: 'hidden', timeout: 10_000 });
  }

  it('submits a .sh from the explorer, shows it running in the Jobs view, follows its output, cancels it', async () => {
    await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    await page.locator('.sidebar .pane-header', { hasText: 'Jobs' }).click();
    await page.locator('.activitybar a[aria-label^="Explorer"]').click();
    const file = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^slurm_steps\.sh$/ });
    await file.waitFor({ timeout: 30_000 });
    await menu(file, 'Submit to Slurm…');
    await pick(/debug.*GPUs free/);
    await pick('1 GPU');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('5');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'Memory per node' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter'); // memory: the partition's default
    // The script written beside the file is open while the user decides.
    await confirm(/Submit the batch script slurm_steps\.sbatch/, 'Submit');
    await page.locator('.monaco-editor .view-line', { hasText: '#SBATCH --gres=gpu:1' }).waitFor({ timeout: 10_000 });

    const notice = page.locator('.notifications-toasts .notification-list-item', { hasText: /Submitted job \d+\./ });
    await notice.waitFor({ timeout: 30_000 });
    jobId = /Submitted job (\d+)/.exec(await notice.innerText())?.[1];
    assert.ok(jobId);
    // Submitting focuses the Jobs view itself; a click on the container's icon then would close it:
    // wait for the view to show, and click only if it does not.
    if (!(await jobsView().waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false))) await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    const started = Date.now();
    const row = jobRow(new RegExp(`slurm_steps\\s*${jobId} · RUNNING`));
    await row.waitFor({ timeout: 30_000 });
    console.log(`    (the job showed as running ${Date.now() - started} ms after the submit's notification)`);
    assert.match(await row.innerText(), /RUNNING · \d+:\d\d of 5:00 · 1 GPU/);
    // Its GPU, sampled on the node by srun --overlap: the profile's PATH has no nvidia-smi, and it says so.
    // (A poll redraws the tree every 10 s, and a redrawn row can lose the click: expand until it shows.)
    const noTool = jobsView().locator('.monaco-list-row', { hasText: 'No GPU tool on the node' }).first();
    for (let i = 0; i < 60 && !(await noTool.isVisible()); i++) {
      if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
      await page.waitForTimeout(500);
    }
    await noTool.waitFor({ timeout: 5_000 });

    await menu(row, 'Open Job Output');
    await page.locator('.monaco-editor .view-line', { hasText: 'step 1' }).first().waitFor({ timeout: 20_000 });
    // Followed live: later steps arrive in the open document (the editor draws spaces as U+00A0).
    await page.locator('.monaco-editor .view-line', { hasText: /^step\s[4-9]$/ }).first().waitFor({ timeout: 20_000 });
    await page.locator('.sidebar .pane-header', { hasText: 'Chat' }).click(); // the Jobs view gets the room
    await saveScreenshot(page, 'jobs-view');

    await menu(jobRow(new RegExp(`slurm_steps\\s*${jobId} · RUNNING`)), 'Cancel Job');
    await confirm(/Cancel slurm_steps \(\d+\)\?/, 'Cancel Job');
    await jobRow(new RegExp(`slurm_steps\\s*${jobId} · CANCELLED`)).waitFor({ timeout: 20_000 });
    jobId = undefined;
    void server;
  });

  it('starts a kernel on Slurm, shows its server in the Kernels view, and stopping it there ends the job', async () => {
    await runCommand(page, 'ML Engineer: Start Kernel on Slurm…');
    await pick(/debug.*GPUs free/);
    await pick('1 GPU');
    const input = page.locator('.quick-input-widget', { hasText: 'How long the kernel may run' }).locator('input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('10');
    await page.keyboard.press('Enter');
    await confirm(/Start a Jupyter server as a Slurm job in debug with 1 GPU for 10\?/, 'Start Kernel');
    const notice = page.locator('.notifications-toasts .notification-list-item', { hasText: /Kernel job \d+ runs on/ });
    await notice.waitFor({ timeout: 90_000 });
    kernelJobId = /Kernel job (\d+)/.exec(await notice.innerText())?.[1];
    assert.ok(kernelJobId);

    // Its server, like a remote one, with the node's kernel specs.
    const kernelsView = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Kernels' }) });
    const serverRow = kernelsView.locator('.monaco-list-row', { hasText: `Slurm job ${kernelJobId} on` }).first();
    await serverRow.waitFor({ timeout: 30_000 });
    await kernelsView.locator('.monaco-list-row', { hasText: 'Kernel specs' }).first().waitFor({ timeout: 30_000 });
    await jobRow(new RegExp(`jupyter-kernel\\s*${kernelJobId} · RUNNING`)).waitFor({ timeout: 30_000 });

    await saveScreenshot(page, 'jobs-kernel');

    // Its inline Disconnect action (a server row has no context menu).
    await serverRow.hover();
    await serverRow.locator('a[aria-label="Disconnect Jupyter Server"]').click();
    await confirm(new RegExp(`Stop Slurm job ${kernelJobId} on \\S+\\? Its kernels shut down and the job ends\\.`), 'Stop Kernel Job');
    await serverRow.waitFor({ state: 'hidden', timeout: 30_000 });
    // The server's shutdown ended the job by itself.
    await jobRow(new RegExp(`jupyter-kernel\\s*${kernelJobId} · COMPLETED`)).waitFor({ timeout: 30_000 });
    kernelJobId = undefined;
  });

  it('a running job\'s tracking logs outside the workspace appear in the Experiments view, labelled with the job, until removed', async () => {
    // A job working in a folder outside the workspace, writing a Lightning CSV log as it trains.
    curvesDir = mkdtempSync(join(tmpdir(), 'mle-e2e-curves-'));
    mkdirSync(join(curvesDir, 'lightning_logs', 'version_0'), { recursive: true });
    const script = join(curvesDir, 'curves.sh');
    const csv = 'lightning_logs/version_0/metrics.csv';
    writeFileSync(script, `#!/bin/bash\n#SBATCH --job-name=curves\n#SBATCH --output=slurm-%j.out\necho "lr: 0.01" > lightning_logs/version_0/hparams.yaml\necho "step,epoch,train_loss" > ${csv}\nfor i in $(seq 0 300); do echo "$i,0,0.5" >> ${csv}; sleep 1; done\n`);
    curvesJobId = execFileSync('sbatch', ['--parsable', `--chdir=${curvesDir}`, script], { encoding: 'utf8' }).trim().split(';')[0];
    assert.match(curvesJobId ?? '', /^\d+$/);

    // The Jobs view open (it polls only while visible), whichever tests ran before.
    const jobsHeader = page.locator('.sidebar .pane-header', { hasText: 'Jobs' });
    if (!(await jobsHeader.isVisible())) await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
    if ((await jobsHeader.getAttribute('aria-expanded')) !== 'true') await jobsHeader.click();
    await jobRow(new RegExp(`curves\\s*${curvesJobId} · RUNNING`)).waitFor({ timeout: 30_000 });
    // Room for the Experiments view: the Kernels view folded, the sources collapsed to one row each
    // (the workspace's own come first, and a long tree draws only the rows in sight).
    const kernels = page.locator('.sidebar .pane-header', { hasText: 'Kernels' });
    if ((await kernels.getAttribute('aria-expanded')) === 'true') await kernels.click();
    const header = page.locator('.sidebar .pane-header', { hasText: 'Experiments' });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const experiments = page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Experiments' }) });
    const source = experiments.locator('.monaco-list-row', { hasText: `Lightning CSV: Slurm job ${curvesJobId} (curves)` }).first();
    // Added after a Jobs view poll saw it running (every 10 s) and its folder was searched.
    for (let i = 0; i < 40 && !(await source.isVisible()); i++) {
      await header.hover();
      await header.locator('a[aria-label="Collapse All"]').click();
      await page.waitForTimeout(1500);
    }
    await source.waitFor({ timeout: 5_000 });
    assert.match(await source.innerText(), /1 run/);

    // Removed by the user (its inline action), it stays removed.
    await source.hover();
    await source.locator('a[aria-label="Remove from Experiments"]').click();
    await source.waitFor({ state: 'hidden', timeout: 15_000 });
  });
});
