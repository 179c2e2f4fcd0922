import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { setCodecByte, writePolarsIpc, type IpcCompression } from '../support/arrowFiles';
import { DataFolder } from '../support/dataFixtures';

// Feather v2 / Arrow IPC files as pandas, pyarrow and polars write them: compressed per buffer with
// LZ4 (to_feather()'s default) or ZSTD. Written here by polars (nodejs-polars, the Rust writer
// Python's polars uses) and opened through the real engine: schema, count, first page, a summary.
// A codec the reader does not know, and a damaged LZ4 buffer, fail with the file and codec named.

const signal = (): AbortSignal => new AbortController().signal;
const ROWS = 30_000;

describe('Dataset engine: Arrow IPC (Feather) files written by polars, LZ4, ZSTD and uncompressed', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 1 });
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  for (const compression of ['lz4', 'zstd', 'uncompressed'] as IpcCompression[]) {
    it(`${compression}: schema, row count, first page and a column summary`, async () => {
      const path = folder.path(`polars_${compression}.feather`);
      writePolarsIpc(path, ROWS, compression);
      const source = new FileDatasetSource(path, engine);
      try {
        const info = await source.info(EMPTY_VIEW, signal());
        assert.deepEqual(info.columns.map((c) => [c.name, c.type]), [['id', 'BIGINT'], ['score', 'DOUBLE'], ['label', 'VARCHAR'], ['ok', 'BOOLEAN'], ['day', 'DATE']]);
        assert.equal(info.totalRows, ROWS);
        const page = await source.rows(EMPTY_VIEW, 0, 3, signal());
        assert.deepEqual(page.rows, [
          [0, null, 'cat', true, '2024-01-01'],
          [1, 0.25, 'dog', false, '2024-01-02'],
          [2, 0.5, 'bird', true, '2024-01-03'],
        ]);
        const last = await source.rows(EMPTY_VIEW, ROWS - 1, 1, signal());
        assert.deepEqual(last.rows, [[ROWS - 1, (ROWS - 1) / 4, 'bird', false, '2024-12-19']]);
        const scores = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => i / 4);
        const score = await source.summarize('score', EMPTY_VIEW, signal());
        assert.deepEqual([score.count, score.nulls, score.min, score.max], [ROWS, ROWS - scores.length, 0.25, (ROWS - 1) / 4]);
        assert.ok(Math.abs((score.mean ?? NaN) - scores.reduce((a, b) => a + b, 0) / scores.length) < 1e-9);
        const label = await source.summarize('label', EMPTY_VIEW, signal());
        assert.deepEqual((label.topValues ?? []).map((t) => [t.value, t.count]).sort(), [['bird', ROWS / 3], ['cat', ROWS / 3], ['dog', ROWS / 3]]);
      } finally {
        await source.dispose();
      }
    });
  }

  it('a codec Arrow does not define: the error names the file and the codec', async () => {
    const path = folder.path('future_codec.arrow');
    writePolarsIpc(path, 1000, 'zstd');
    setCodecByte(path, 7);
    const source = new FileDatasetSource(path, engine);
    await assert.rejects(source.info(EMPTY_VIEW, signal()), (e: Error) => /future_codec\.arrow/.test(e.message) && /codec number 7/.test(e.message) && /LZ4_FRAME and ZSTD/.test(e.message));
    await source.dispose();
  });

  it('a damaged LZ4 buffer: the error names the file and the codec', async () => {
    const path = folder.path('damaged.feather');
    writePolarsIpc(path, 1000, 'lz4');
    const bytes = readFileSync(path);
    // The first LZ4 frame's magic number, broken.
    const frame = bytes.indexOf(Buffer.from([0x04, 0x22, 0x4d, 0x18]));
    assert.ok(frame > 0);
    bytes[frame] = 0;
    writeFileSync(path, bytes);
    const source = new FileDatasetSource(path, engine);
    await assert.rejects(source.info(EMPTY_VIEW, signal()), (e: Error) => /damaged\.feather/.test(e.message) && /LZ4_FRAME-compressed buffer cannot be decompressed/.test(e.message));
    await source.dispose();
  });
});
