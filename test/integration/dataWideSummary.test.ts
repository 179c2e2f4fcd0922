import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { EMPTY_VIEW, type ColumnSummary } from '../../src/data/datasetSource';
import { SUMMARY_BATCH, SummaryCache } from '../../src/data/engine/columnSummary';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { DataFolder } from '../support/dataFixtures';

// Summarising one column of a wide file summarises the next ones in the same pass
// (columnSummary.ts getBatch). Waiting on each of them under the caller's signal put one abort
// listener per column on it, and Node printed a MaxListenersExceededWarning past 10 (seen on
// nvidia-smi's 212-column CSV).

const COLUMNS = 150;

describe('Summaries of a wide file (one abort listener per request, not per column)', function () {
  this.timeout(180_000);
  let folder: DataFolder;
  let engine: DataEngine;
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  /** Node emits 'warning' on a later tick. */
  const noWarnings = async (): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
  };

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    const header = Array.from({ length: COLUMNS }, (_, i) => `c${i}`).join(',');
    const rows = Array.from({ length: 50 }, (_, r) => Array.from({ length: COLUMNS }, (_, i) => (i % 2 ? r * i : `v${(r + i) % 7}`)).join(','));
    writeFileSync(folder.path('wide.csv'), `${header}\n${rows.join('\n')}\n`);
    process.on('warning', onWarning);
  });
  after(async () => {
    process.off('warning', onWarning);
    await engine?.close();
    folder?.close();
  });

  it('summarises a column and the next ones in one pass without a MaxListenersExceededWarning', async () => {
    assert.ok(SUMMARY_BATCH > 10, 'a batch is wider than Node\'s listener limit');
    const source = new FileDatasetSource(folder.path('wide.csv'), engine);
    try {
      const signal = new AbortController().signal;
      const first = await source.summarize('c1', EMPTY_VIEW, signal);
      assert.equal(first.count, 50);
      // The columns after it came from the same pass.
      const next = await source.summarize('c2', EMPTY_VIEW, signal);
      assert.equal(next.count, 50);
      await noWarnings();
    } finally {
      await source.dispose();
    }
  });

  it('a cancelled summary lets go of the whole batch: the next column is computed again when asked', async () => {
    const source = new FileDatasetSource(folder.path('wide.csv'), engine);
    try {
      await source.info(EMPTY_VIEW, new AbortController().signal);
      const stop = new AbortController();
      const asked = source.summarize('c10', EMPTY_VIEW, stop.signal);
      stop.abort();
      await assert.rejects(asked, /abort/i);
      const later = await source.summarize('c11', EMPTY_VIEW, new AbortController().signal);
      assert.equal(later.count, 50);
      await noWarnings();
    } finally {
      await source.dispose();
    }
  });

  it('the batch stops when its one caller cancels, and not while a later caller waits on another column', async () => {
    const cache = new SummaryCache();
    const columns = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const batchOf = (seen: AbortSignal[]) => (signal: AbortSignal): Promise<Map<string, ColumnSummary>> =>
      new Promise((_, reject) => {
        seen.push(signal);
        signal.addEventListener('abort', () => reject(new DOMException('stopped', 'AbortError')), { once: true });
      });
    const alone: AbortSignal[] = [];
    const stop = new AbortController();
    const asked = cache.getBatch('v1', columns, EMPTY_VIEW, batchOf(alone), stop.signal);
    stop.abort();
    await assert.rejects(asked, /abort/i);
    assert.equal(alone[0]?.aborted, true, 'nobody waits: the batch is stopped');
    assert.equal(cache.has('v1', 'c5', EMPTY_VIEW), false, 'and asked again later');

    const shared: AbortSignal[] = [];
    const first = new AbortController();
    const answer = cache.getBatch('v2', columns, EMPTY_VIEW, batchOf(shared), first.signal);
    const other = cache.get('v2', 'c5', EMPTY_VIEW, () => Promise.reject(new Error('computed twice')), new AbortController().signal);
    first.abort();
    await assert.rejects(answer, /abort/i);
    assert.equal(shared[0]?.aborted, false, 'c5 is still waited on');
    void other.catch(() => undefined);
    await noWarnings();
  });
});
