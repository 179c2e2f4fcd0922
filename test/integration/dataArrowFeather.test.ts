import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { tablePrep } from '../../src/data/engine/fileRelation';
import { Bool, DateDay, DateMillisecond, Float16, Int16, Int64, LargeUtf8, Table, tableToIPC, TimestampNanosecond, TimestampSecond, Uint64, Utf8, vectorFromArray } from 'apache-arrow';
import { setBufferLength, setCodecByte, writePolarsIpc, type IpcCompression } from '../support/arrowFiles';
import { DataFolder } from '../support/dataFixtures';

// Feather v2 / Arrow IPC files as pandas, pyarrow and polars write them: compressed per buffer with
// LZ4 (to_feather()'s default) or ZSTD. Written here by polars (nodejs-polars, the Rust writer
// Python's polars uses) and opened through the real engine: schema, count, first page, a summary.
// A codec the reader does not know, and a damaged LZ4 buffer, fail with the file and codec named;
// a buffer shorter than its rows fails with the file and column named (never copied past its end);
// so does a buffer that decodes to other than Arrow's length prefix, or whose prefix is past the memory limit.
// Every type the importer copies or converts column-wise (arrowColumns.ts), with nulls, across
// data chunk edges and in a batch whose arrays start at an odd offset (a sliced table).

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

  it('the first page comes from a table of the first rows, dropped once read; the whole file is imported for the count', async () => {
    const path = folder.path('first_page.feather');
    writePolarsIpc(path, 50_000, 'lz4');
    const source = new FileDatasetSource(path, engine);
    const tables = async () => (await engine.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 't\\_%' ESCAPE '\\'", {})).rows.map((r) => String(r[0]));
    const before = await tables();
    try {
      assert.deepEqual((await source.rows(EMPTY_VIEW, 0, 2, signal())).rows, [[0, null, 'cat', true, '2024-01-01'], [1, 0.25, 'dog', false, '2024-01-02']]);
      const quick = await source.quickInfo(EMPTY_VIEW, signal());
      assert.deepEqual([quick?.totalRows, quick?.rowsExact], [200, false]);
      // The first rows' table goes once read (its drop is a message: waited for); the file's is not built yet.
      for (let i = 0; i < 100 && (await tables()).length > before.length; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(await tables(), before);
      assert.equal((await source.info(EMPTY_VIEW, signal())).totalRows, 50_000);
      assert.equal((await tables()).length, before.length + 1);
    } finally {
      await source.dispose();
    }
  });

  it('each type the importer maps, with nulls, across chunk edges, from arrays at an odd offset', async () => {
    const ids = Array.from({ length: 5000 }, (_, i) => i);
    const day = 86_400_000;
    const table = new Table({
      dms: vectorFromArray(ids.map((i) => (i % 9 === 0 ? null : new Date(Date.UTC(2020, 0, 1) + i * day + 3_600_000))), new DateMillisecond()),
      dday: vectorFromArray(ids.map((i) => (i % 9 === 1 ? null : new Date(Date.UTC(1960, 0, 1) + i * day))), new DateDay()),
      tss: vectorFromArray(ids.map((i) => (i % 4 === 0 ? null : (1_700_000_000 + i) * 1000)), new TimestampSecond()),
      tsns: vectorFromArray(ids.map((i) => (i % 4 === 1 ? null : 1_700_000_000_000 + i * 2)), new TimestampNanosecond()),
      u64: vectorFromArray(ids.map((i) => (i % 6 === 0 ? null : BigInt(i) * 1_000_000_007n)), new Uint64()),
      i64: vectorFromArray(ids.map((i) => (i % 6 === 1 ? null : BigInt(i) * -1_000_000_007n)), new Int64()),
      i16: vectorFromArray(ids.map((i) => (i % 3 === 0 ? null : i - 2500)), new Int16()),
      f16: vectorFromArray(ids.map((i) => (i % 3 === 1 ? null : i / 8)), new Float16()),
      s: vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : `é${i}`)), new Utf8()),
      ls: vectorFromArray(ids.map((i) => (i % 5 === 1 ? null : `L${i}`)), new LargeUtf8()),
      b: vectorFromArray(ids.map((i) => (i % 13 === 0 ? null : i % 2 === 0)), new Bool()),
    });
    const path = folder.path('types.arrow');
    writeFileSync(path, tableToIPC(table.slice(1003, 4500), 'file'));
    const prep = tablePrep('arrow', path, 'v-types', {});
    const query = async (sql: string) => (await engine.query(sql, { prepare: [prep] })).rows;
    assert.deepEqual(await query(`SELECT column_name, column_type FROM (DESCRIBE "${prep.table}")`), [['dms', 'DATE'], ['dday', 'DATE'], ['tss', 'TIMESTAMP'], ['tsns', 'TIMESTAMP'], ['u64', 'UBIGINT'], ['i64', 'BIGINT'], ['i16', 'INTEGER'], ['f16', 'DOUBLE'], ['s', 'VARCHAR'], ['ls', 'VARCHAR'], ['b', 'BOOLEAN']]);
    const rows = await query(`SELECT * FROM "${prep.table}" WHERE rowid IN (0, 2047, 2048, 3496) ORDER BY rowid`);
    // Half floats keep what float16 holds (381.375 is stored as 381.5); nanoseconds are cut to microseconds.
    assert.deepEqual(rows, [
      ['2022-09-30', '1962-09-30', '2023-11-14 22:30:03', '2023-11-14 22:13:22.006', 1_003_000_007_021, null, -1497, null, 'é1003', 'L1003', false],
      ['2028-05-08', '1968-05-08', '2023-11-14 23:04:10', '2023-11-14 22:13:26.1', 3_050_000_021_350, -3_050_000_021_350, 550, 381.25, null, 'L3050', true],
      [null, '1968-05-09', '2023-11-14 23:04:11', '2023-11-14 22:13:26.102', 3_051_000_021_357, -3_051_000_021_357, null, 381.5, 'é3051', null, false],
      ['2032-04-26', '1972-04-26', '2023-11-14 23:28:19', '2023-11-14 22:13:28.998', 4_499_000_031_493, -4_499_000_031_493, 1999, 562.5, 'é4499', 'L4499', false],
    ]);
    // Nulls per column, against the table's own (every chunk's validity copied at the right bits).
    const kept = ids.slice(1003, 4500);
    const nulls = (rest: number, every: number) => kept.filter((i) => i % every === rest).length;
    const counted = await query(`SELECT ${['dms', 'dday', 'tss', 'tsns', 'u64', 'i64', 'i16', 'f16', 's', 'ls', 'b'].map((c) => `count(*) - count(${c})`).join(', ')} FROM "${prep.table}"`);
    assert.deepEqual(counted[0], [nulls(0, 9), nulls(1, 9), nulls(0, 4), nulls(1, 4), nulls(0, 6), nulls(1, 6), nulls(0, 3), nulls(1, 3), nulls(0, 5), nulls(1, 5), nulls(0, 13)]);
  });

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

  // Buffers (RecordBatch.buffers): id's validity, id's values, score's validity, score's values, ...
  for (const [index, what] of [[1, 'values buffer'], [2, 'null bitmap']] as const) {
    it(`a ${what} shorter than the batch's rows: the error names the file and column, nothing is read past it`, async () => {
      const path = folder.path(`short_${index}.arrow`);
      writePolarsIpc(path, 3000, 'uncompressed');
      setBufferLength(path, index, 8);
      const source = new FileDatasetSource(path, engine);
      // The first page's table (200 rows) already reads past the 8 bytes.
      const column = index === 1 ? 'id' : 'score';
      await assert.rejects(source.info(EMPTY_VIEW, signal()), (e: Error) => new RegExp(`short_${index}\\.arrow`).test(e.message) && e.message.includes(`column "${column}": its ${what} holds ${index === 1 ? 1 : 64} rows, the record batch claims 200`));
      await source.dispose();
    });
  }

  /** Sets Arrow's length prefix (the int64 before it) of the file's first compressed buffer of `codec`. */
  function setLengthPrefix(path: string, codec: 'lz4' | 'zstd', size: (old: bigint) => bigint): void {
    const bytes = readFileSync(path);
    const frame = bytes.indexOf(Buffer.from(codec === 'lz4' ? [0x04, 0x22, 0x4d, 0x18] : [0x28, 0xb5, 0x2f, 0xfd]));
    assert.ok(frame > 8);
    bytes.writeBigInt64LE(size(bytes.readBigInt64LE(frame - 8)), frame - 8);
    writeFileSync(path, bytes);
  }

  for (const codec of ['lz4', 'zstd'] as const) {
    const name = codec === 'lz4' ? 'LZ4_FRAME' : 'ZSTD';
    it(`${codec}: a buffer that decodes to other than Arrow's length prefix, or whose prefix is past the memory limit, fails`, async () => {
      for (const [file, size, message] of [
        [`prefix_${codec}.feather`, (old: bigint) => old + 1n, /Arrow's length prefix/],
        [`bomb_${codec}.feather`, () => 1n << 40n, /it would decode to 1099511627776 bytes, more than the engine's memory limit \(536870912 bytes\)/],
      ] as const) {
        const path = folder.path(file);
        writePolarsIpc(path, 1000, codec);
        setLengthPrefix(path, codec, size);
        const source = new FileDatasetSource(path, engine);
        await assert.rejects(source.info(EMPTY_VIEW, signal()), (e: Error) => e.message.includes(file) && e.message.includes(`${name}-compressed buffer cannot be decompressed`) && message.test(e.message));
        await source.dispose();
      }
    });
  }
});
