// The Dataset viewer's cost to the real extension host: code-server with the packaged extension,
// headless Chromium, a generated 2.1 GB CSV (its window's temp folder, deleted after).
// - host_rss_growth_mb: the window's extension host (the child of code-server whose command line
//   says --type=extensionHost; /proc VmRSS) after the file is opened as a Dataset (explorer >
//   Open as Dataset, its exact row count shown) and scrolled end to end as a person does (the
//   Go to row box at JUMPS rows spread over every row, each followed by a burst of Page Downs,
//   then Ctrl+End), every page waited for until drawn, less its RSS just before the open; target < 100.
// - host_rss_growth_after_close_mb: the same host after the editor is closed, less before the open.
// - host_rss_peak_growth_mb: the highest RSS read during the open and the scroll (no GC forced:
//   what the person sees), less before. host_heap_used_growth_mb: V8's live heap, the same way.
// Each reading but the peak follows two full GCs, asked through the host's inspector (hostInspector.ts),
// once RSS has settled. The baseline of each: the same steps in a window of its own on a tiny CSV
// (TINY_ROWS rows, same columns). Each window has a fresh extension host with the extension already
// active (a notebook file in the workspace activates it), so both include loading the data feature
// and its webview, and their difference is what the file's size costs. The engine is a child process
// of the host: its memory is not in these figures; its RSS is printed beside them. The in-process
// stand-in (engine client + DatasetSession in the bench's own Node) is data.bench's
// engine_client_rss_growth_mb. Each run prints the load: this machine is shared.
// ML_ENGINEER_BENCH_DATAHOST_ROWS scales the file down for a quick check; _JUMPS sets the jumps.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser, Frame, Page } from 'playwright-core';
import { parseActivationLine } from '../src/common/heavyModules';
import { assertCodeServerInstalled, repoRoot, startCodeServer, type CodeServer } from '../test/e2e/support/codeServer';
import { explorerContextMenu, findWebviewFrame, keepEvidence, launchBrowser, openWorkbench, runCommand } from '../test/e2e/support/workbench';
import { inspectProcess, type Inspector, type NodeMemory } from './hostInspector';
import { engineChildren, extensionHosts, hostMemory, type HostMemory } from './hostProcess';
import { withBaseline, type BenchMetric } from './metric';

const ROWS = Number(process.env.ML_ENGINEER_BENCH_DATAHOST_ROWS ?? 25_500_000); // 84 bytes a row: 2.1 GB
const TINY_ROWS = 1000;
const JUMPS = Number(process.env.ML_ENGINEER_BENCH_DATAHOST_JUMPS ?? 200);
const PAGE_DOWNS = 2;
const NOTEBOOK = JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
const mb = (m: HostMemory): string => `rss ${m.rss.toFixed(1)} (anon ${m.anon.toFixed(1)}, file ${m.file.toFixed(1)}, shmem ${m.shmem.toFixed(1)}) MB`;

async function poll<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** data.bench's columns: numbers, nulls, a category, dates and text. */
async function writeCsv(path: string, rows: number, spill: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB', temp_directory: spill });
  const c = await db.connect();
  await c.run(`COPY (SELECT i AS id, CASE WHEN i % 97 = 0 THEN NULL ELSE random() * 1000 END AS x, CAST(i % 1000 AS INTEGER) AS y,
    'class_' || (i % 10) AS label, CAST(DATE '2020-01-01' + INTERVAL (i % 1500) DAY AS DATE) AS day, md5(CAST(i AS VARCHAR)) || '-' || (i % 7) AS text
    FROM range(${rows}) r(i)) TO '${path.replaceAll("'", "''")}' (HEADER)`);
  c.closeSync();
  db.closeSync();
}

function stopProcess(pid: number): void {
  try {
    process.kill(pid);
  } catch {
    // gone with its window
  }
}

/** The host's memory once it has stopped moving (within 1 MB over 4 s), or after 60 s. */
async function settled(host: number, what: string): Promise<HostMemory> {
  const readings: HostMemory[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    readings.push(hostMemory(host));
    const last = readings.slice(-9).map((m) => m.rss);
    if (last.length === 9 && Math.max(...last) - Math.min(...last) < 1) break;
    if (Date.now() > deadline) {
      console.error(`datahost bench: ${what}: the host's RSS still moved by ${(Math.max(...last) - Math.min(...last)).toFixed(1)} MB after 60 s`);
      break;
    }
    await sleep(500);
  }
  return readings.at(-1)!;
}

interface Reading {
  readonly proc: HostMemory;
  readonly node: NodeMemory;
}

interface Growth {
  readonly before: Reading;
  readonly scrolled: Reading;
  readonly closed: Reading;
  /** The highest RSS read during the open and the scroll and once scrolled, with no GC forced. */
  readonly peak: number;
}

/** Two full GCs in the host (the second frees what the first's finalizers let go), then its memory once RSS has settled. */
async function collected(host: number, inspector: Inspector, what: string): Promise<Reading> {
  await inspector.collectGarbage();
  await inspector.collectGarbage();
  const proc = await settled(host, what);
  const node = await inspector.memoryUsage();
  const f = (n: number): string => n.toFixed(1);
  console.error(`datahost bench: ${what}: ${mb(proc)}; V8 heap used ${f(node.heapUsed)} of ${f(node.heapTotal)}, external ${f(node.external)} (array buffers ${f(node.arrayBuffers)}) MB`);
  return { proc, node };
}

/** One window on `server`'s workspace: opens `file` as a Dataset, scrolls it end to end, closes it. */
async function measureWindow(browser: Browser, server: CodeServer, file: string, rows: number): Promise<Growth> {
  const earlier = new Set(extensionHosts(server.userDataDir));
  const page = await openWorkbench(browser, server);
  let host: number | undefined;
  try {
    host = await poll(() => extensionHosts(server.userDataDir).find((pid) => !earlier.has(pid)), 120_000, "the window's extension host");
    await poll(() => server.extensionLog().split('\n').find((line) => parseActivationLine(line)), 120_000, 'the extension to activate');
    await settled(host, `${file}: the window's start`); // its startup work done before the first GC
    const inspector = await inspectProcess(host);
    try {
      const before = await collected(host, inspector, `${file} before`);
      let peak = before.proc.rss;
      const sample = (): void => void (peak = Math.max(peak, hostMemory(host!).rss));
      const frame = await openDataset(page, file, rows, sample);
      const pages = await scrollEndToEnd(frame, rows, sample);
      peak = Math.max(peak, (await settled(host, `${file} scrolled, before the GC`)).rss);
      const engine = engineChildren(host).map((pid) => `${pid}: ${hostMemory(pid).rss.toFixed(0)} MB`).join(', ');
      console.error(`datahost bench: ${file}: ${pages} pages drawn; peak ${peak.toFixed(1)} MB; the engine child's RSS ${engine || 'none'}; load ${load()}`);
      const scrolled = await collected(host, inspector, `${file} scrolled`);
      await runCommand(page, 'View: Close All Editors');
      await page.locator('.tab', { hasText: file }).waitFor({ state: 'detached', timeout: 30_000 });
      const closed = await collected(host, inspector, `${file} closed`);
      return { before, scrolled, closed, peak };
    } finally {
      inspector.close();
    }
  } catch (error) {
    console.error(`datahost bench: evidence kept in ${await keepEvidence(`datahost-${file}`, page, server)}`);
    throw error;
  } finally {
    await page.close();
    // Stopped if code-server keeps it for a reconnection: its inspector's port is the next window's.
    if (host !== undefined) stopProcess(host);
  }
}

async function openDataset(page: Page, file: string, rows: number, sample: () => void): Promise<Frame> {
  await explorerContextMenu(page, file, 'Open as Dataset');
  const frame = await findWebviewFrame(page, '.grid', 120_000);
  // The exact count, not "N+ rows (counting)": a jump past the rows counted so far would stop short.
  const facts = new RegExp(`^${rows.toLocaleString('en-US')} rows · 6 columns`);
  await poll(async () => (sample(), facts.test(await frame.locator('.facts').innerText().catch(() => '')) || undefined), 600_000, `"${facts.source}" in the viewer`);
  return frame;
}

/** Go to row at JUMPS rows spread over the file, a burst of Page Downs after each, then Ctrl+End; each page waited for until drawn. */
async function scrollEndToEnd(frame: Frame, rows: number, sample: () => void): Promise<number> {
  const grid = frame.locator('.grid');
  const jump = frame.locator('input.jump');
  const drawnAt = async (): Promise<number | undefined> => {
    sample();
    if (await frame.locator('.grid .row.loading').count()) return undefined;
    const text = await frame.locator('.grid .row.active:not(.loading) .gutter').innerText({ timeout: 1000 }).catch(() => '');
    return text ? Number(text) : undefined;
  };
  const reach = (row: number): Promise<true> => poll(async () => ((await drawnAt()) === row ? true : undefined), 300_000, `row ${row} drawn`);
  await grid.focus();
  await grid.press('Control+Home');
  await reach(1);
  await grid.press('PageDown');
  const step = await poll<number>(async () => ((await drawnAt()) ?? 1) - 1 || undefined, 60_000, 'a Page Down');
  let pages = 2;
  for (let i = 0; i < JUMPS; i++) {
    const row = 1 + Math.floor((i * (rows - 1)) / JUMPS);
    await jump.fill(String(row));
    await jump.press('Enter');
    await reach(row);
    for (let k = 0; k < PAGE_DOWNS; k++) await grid.press('PageDown');
    await reach(Math.min(rows, row + PAGE_DOWNS * step));
    pages += 1 + PAGE_DOWNS;
  }
  await grid.press('Control+End');
  await reach(rows);
  return pages + 1;
}

export async function run(): Promise<BenchMetric[]> {
  assertCodeServerInstalled(); // before the packaging it would waste
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: 'ignore' });
  const spill = mkdtempSync(join(tmpdir(), 'ml-engineer-bench-datahost-'));
  const server = await startCodeServer({ settings: { 'mlEngineer.jupyter.autoStartLocalServer': false } });
  let big: string | undefined;
  let browser: Browser | undefined;
  try {
    // Two windows, each on a folder of its own under the server's temp folder (removed by stop()).
    const tinyWindow = server.forWindow();
    await writeCsv(join(tinyWindow.workspace, 'tiny.csv'), TINY_ROWS, spill);
    const bigWindow = server.forWindow();
    big = join(bigWindow.workspace, 'big.csv');
    await writeCsv(big, ROWS, spill);
    for (const w of [tinyWindow, bigWindow]) writeFileSync(join(w.workspace, 'activate.ipynb'), NOTEBOOK);
    console.error(`datahost bench: big.csv ${(statSync(big).size / 1e9).toFixed(2)} GB, ${ROWS} rows; ${JUMPS} jumps; load ${load()} (2 cores shared)`);
    browser = await launchBrowser();
    const tiny = await measureWindow(browser, tinyWindow, 'tiny.csv', TINY_ROWS);
    const large = await measureWindow(browser, bigWindow, 'big.csv', ROWS);
    const growth = (g: Growth, at: 'scrolled' | 'closed', of: (r: Reading) => number = (r) => r.proc.rss): number => of(g[at]) - of(g.before);
    return [
      withBaseline('host_rss_growth_mb', growth(large, 'scrolled'), 'MB', growth(tiny, 'scrolled')),
      withBaseline('host_rss_growth_after_close_mb', growth(large, 'closed'), 'MB', growth(tiny, 'closed')),
      withBaseline('host_rss_peak_growth_mb', large.peak - large.before.proc.rss, 'MB', tiny.peak - tiny.before.proc.rss),
      withBaseline('host_heap_used_growth_mb', growth(large, 'scrolled', (r) => r.node.heapUsed), 'MB', growth(tiny, 'scrolled', (r) => r.node.heapUsed)),
    ];
  } finally {
    await browser?.close();
    await server.stop();
    if (big) rmSync(big, { force: true }); // even when MLE_KEEP_E2E_DIRS keeps the server's folders
    rmSync(spill, { recursive: true, force: true });
  }
}
