import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { WATCHED_JOBS_KEY } from '../../src/jobs/watchedJobs';
import { eventually } from '../support/eventually';
import { skipWithoutSlurm } from '../support/slurm/slurmCluster';
import { EXTENSION_ID, type CodeServer } from './support/codeServer';
import { explorerContextMenu, rowContextMenu } from './support/workbench';
import { EXAMPLES_PROFILE, useWorkbench } from './support/workbenchFixture';

// Run in the page as text: the test's own transpiler would wrap named functions in a helper the page lacks.
const READ_STORED_WATCHED = `async (extension, key) => {
  const done = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(String(request.error)));
  });
  const ids = [];
  for (const { name } of await indexedDB.databases()) {
    if (!name || !name.startsWith('vscode-web-state-db-')) continue;
    const db = await done(indexedDB.open(name));
    try {
      if (!db.objectStoreNames.contains('ItemTable')) continue;
      const store = db.transaction('ItemTable').objectStore('ItemTable');
      // Both asked at once: a transaction ends when no request of its is pending.
      const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
      keys.forEach((k, i) => {
        if (typeof k === 'string' && k.toLowerCase() === extension) ids.push(...(JSON.parse(String(values[i]))[key] || []).map((j) => j.id));
      });
    } finally {
      db.close();
    }
  }
  return ids;
}`;

/**
 * A job submitted from the window is watched: marked in the Jobs view, its GPUs a group in the
 * GPUs view beside this machine's (the nvidia-smi stand-in's H100). A page reload keeps both,
 * the job's state read again from the real Slurm; when the job ends its group goes. A job submitted
 * from a terminal is watched from the Jobs view (Watch GPUs), and Stop Watching ends that for good.
 */
describe('Slurm jobs through a window reload (code-server)', function () {
  let server: CodeServer;
  let page: Page;
  let jobId: string | undefined;
  let terminalJobId: string | undefined;
  let controlJobId: string | undefined;
  let terminalFolder: string | undefined;

  skipWithoutSlurm();
  useWorkbench(
    {
      profile: EXAMPLES_PROFILE,
      prepare(workspace) {
        writeFileSync(join(workspace, 'watch_me.sh'), '#!/bin/bash\n#SBATCH --job-name=watch_me\n#SBATCH --gres=gpu:1\n#SBATCH --time=20\n#SBATCH --output=/dev/null\nsleep 1200\n');
      },
    },
    (opened) => void ({ server, page } = opened),
  );
  // The job outlasts every wait of the test (a loaded machine's too) and is cancelled here if the test did not.
  after(() => {
    for (const id of [jobId, terminalJobId, controlJobId]) {
      try {
        if (id) execFileSync('scancel', [id]);
      } catch {
        // Already gone: nothing to cancel.
      }
    }
    if (terminalFolder) rmSync(terminalFolder, { recursive: true, force: true });
  });

  const pane = (name: string): Locator => page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`) }) });
  const row = (view: string, text: string | RegExp): Locator => pane(view).locator('.monaco-list-row', { hasText: text }).first();

  /** A row's text once it has stayed the same for a second: a mark drawn a moment late is seen, not missed. */
  async function settledText(locator: Locator): Promise<string> {
    let last: string | undefined;
    let since = 0;
    return eventually('the row text to settle', () => locator.innerText(), (text) => {
      if (text !== last) [last, since] = [text, Date.now()];
      return Date.now() - since >= 1000;
    });
  }

  /** The ML Engineer container shown, with the Jobs and GPUs views open (the others folded for room). */
  async function openViews(): Promise<void> {
    const header = (name: string): Locator => page.locator('.sidebar .pane-header', { hasText: new RegExp(`^\\s*${name}`) });
    for (let i = 0; i < 40 && !(await header('Jobs').isVisible()); i++) {
      await page.locator('.activitybar a[aria-label="ML Engineer"]').click();
      await page.waitForTimeout(500);
    }
    for (const name of ['Chat', 'Experiments', 'Kernels']) if ((await header(name).getAttribute('aria-expanded')) === 'true') await header(name).click();
    for (const name of ['GPUs', 'Jobs']) if ((await header(name).getAttribute('aria-expanded')) !== 'true') await header(name).click();
  }

  /**
   * The ids of the watched jobs as the browser stored this window's workspace state (IndexedDB, the
   * web workbench's ItemTable, written a moment after a change; a reload before that loses it).
   */
  const storedWatched = (): Promise<string[]> => page.evaluate(`(${READ_STORED_WATCHED})(${JSON.stringify(EXTENSION_ID)}, ${JSON.stringify(WATCHED_JOBS_KEY)})`);

  /** The page reloaded, the extension activated again (its log says so), and the views open. */
  async function reload(): Promise<void> {
    const activations = (): number => server.extensionLog().split('\n').filter((l) => l.includes('activation {')).length;
    const before = activations();
    await page.reload();
    await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
    for (let i = 0; i < 240 && activations() === before; i++) await page.waitForTimeout(250);
    if (activations() <= before) throw new Error('the extension did not activate again after the reload');
    await openViews();
  }

  it('keeps the watched job in the Jobs view and its GPUs in the GPUs view through a reload, until it ends', async function () {
    this.timeout(300_000);
    await explorerContextMenu(page, 'watch_me.sh', 'Submit to Slurm…');
    const dialog = page.locator('.monaco-dialog-box', { hasText: /Submit watch_me\.sh as it is/ });
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.locator('.monaco-button', { hasText: 'Submit' }).first().click();
    const notice = page.locator('.notifications-toasts .notification-list-item', { hasText: /Submitted job \d+\./ });
    await notice.waitFor({ timeout: 30_000 });
    jobId = /Submitted job (\d+)/.exec(await notice.innerText())?.[1];
    if (!jobId) throw new Error('no job id in the notification');
    await page.waitForTimeout(1000); // submitting focuses the Jobs view itself
    await openViews();

    const watchedRow = new RegExp(`watch_me\\s*${jobId} · RUNNING.* · watched`);
    const group = new RegExp(`job ${jobId} on \\S+`);
    await row('Jobs', watchedRow).waitFor({ timeout: 60_000 });
    // The local GPUs first (the stand-in's H100), then the job's group with its node's one line.
    await row('GPUs', /NVIDIA H100/).waitFor({ timeout: 30_000 });
    await row('GPUs', group).waitFor({ timeout: 30_000 });
    await row('GPUs', /No GPU tool on \S+: nvidia-smi is not on the job's PATH there\./).waitFor({ timeout: 30_000 });

    await reload();
    // Restored from the workspace's state, the job read again from Slurm: still running, still watched.
    await row('Jobs', watchedRow).waitFor({ timeout: 60_000 });
    await row('GPUs', group).waitFor({ timeout: 60_000 });
    await row('GPUs', /No GPU tool on \S+/).waitFor({ timeout: 30_000 });

    // Ended outside the editor: the group goes at the next poll, and the job is no longer watched.
    execFileSync('scancel', [jobId]);
    await row('Jobs', new RegExp(`watch_me\\s*${jobId} · CANCELLED`)).waitFor({ timeout: 60_000 });
    await row('GPUs', group).waitFor({ state: 'hidden', timeout: 60_000 });
    await row('Jobs', new RegExp(`${jobId} · CANCELLED.* · watched`)).waitFor({ state: 'hidden', timeout: 30_000 });
    jobId = undefined;
  });

  it('watches a job submitted from a terminal (Watch GPUs in the Jobs view); Stop Watching ends it, through a reload too', async function () {
    this.timeout(300_000);
    // Submitted from a terminal in a folder of its own (a job's folder is searched for tracking logs).
    const folder = (terminalFolder = mkdtempSync(join(tmpdir(), 'mle-terminal-job-')));
    const sbatch = (...args: string[]): string => execFileSync('sbatch', ['--parsable', '--time=20', '--output=/dev/null', '--wrap=sleep 1200', ...args], { cwd: folder, encoding: 'utf8' }).trim().split(';')[0]!;
    const id = (terminalJobId = sbatch('--job-name=from_terminal', '--gres=gpu:1'));
    // The control, watched all along: its group and its "· watched" mark show that each view has read
    // the watched jobs (the GPUs view from Slurm, one poll for all of them), so the other job's absent
    // group and mark are checked after that, not before. No GPU asked: it still has a group.
    const controlId = (controlJobId = sbatch('--job-name=control_job'));
    await openViews();
    const running = new RegExp(`from_terminal\\s*${id} · RUNNING`);
    const unwatched = new RegExp(`from_terminal\\s*${id} · RUNNING(?!.*· watched)`);
    const watched = new RegExp(`from_terminal\\s*${id} · RUNNING.* · watched`);
    const group = new RegExp(`job ${id} on \\S+`);
    const controlWatched = new RegExp(`control_job\\s*${controlId} · RUNNING.* · watched`);
    const controlGroup = new RegExp(`job ${controlId} on \\S+`);
    /** Both views have read the watched jobs since the last change (the control's group and mark show); the job is not watched. */
    async function notWatched(): Promise<void> {
      await row('GPUs', controlGroup).waitFor({ timeout: 60_000 });
      await row('Jobs', controlWatched).waitFor({ timeout: 30_000 });
      assert.equal(await row('GPUs', group).count(), 0);
      assert.doesNotMatch(await settledText(row('Jobs', running)), /watched/);
    }

    // Not submitted from this window: listed, not watched, no group.
    await row('Jobs', unwatched).waitFor({ timeout: 60_000 });
    await rowContextMenu(page, () => Promise.resolve(row('Jobs', new RegExp(`control_job\\s*${controlId} · RUNNING`))), 'Watch GPUs');
    await row('GPUs', new RegExp(`Job ${controlId} asked for no GPU\\.`)).waitFor({ timeout: 60_000 });
    await notWatched();

    await rowContextMenu(page, () => Promise.resolve(row('Jobs', running)), 'Watch GPUs');
    await row('GPUs', group).waitFor({ timeout: 60_000 });
    await row('GPUs', /No GPU tool on \S+: nvidia-smi is not on the job's PATH there\./).waitFor({ timeout: 30_000 });
    await row('Jobs', watched).waitFor({ timeout: 30_000 });
    await eventually(`job ${id} in the stored watched jobs`, storedWatched, (ids) => ids.includes(id));

    await rowContextMenu(page, () => Promise.resolve(row('GPUs', group)), 'Stop Watching');
    await row('GPUs', group).waitFor({ state: 'hidden', timeout: 30_000 });
    await row('Jobs', unwatched).waitFor({ timeout: 30_000 });
    // Reloaded only once the browser stored the change (VS Code web does not wait for that at unload).
    await eventually(`job ${id} gone from the stored watched jobs, ${controlId} kept`, storedWatched, (ids) => !ids.includes(id) && ids.includes(controlId));

    // After a reload the job still runs, and is still not watched: the Jobs view draws its row with
    // the watched list read from the workspace's state, and the GPUs view has no group for it.
    await reload();
    await row('Jobs', running).waitFor({ timeout: 60_000 });
    await row('GPUs', /NVIDIA H100/).waitFor({ timeout: 30_000 });
    await notWatched();
  });
});
