import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { compareDatasets } from '../../src/data/engine/compareFiles';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { detectFileDrift } from '../../src/monitoring/driftScan';
import { DataFolder, lit } from '../support/dataFixtures';

// Leakage between two files the way an ML engineer means it (compareFiles.ts, compareKey.ts), on
// files pandas and DuckDB wrote, read by the real engine: identifiers left out of the row key (a
// fresh id per row hid every duplicated feature row), the target left out and its conflicts
// counted exactly, a late value past DuckDB's sniff read as text in compare and drift, and a 1M-row
// file compared in bounded time.

const signal = (): AbortSignal => new AbortController().signal;

describe('Compare two files: leakage', function () {
  this.timeout(300_000);
  let folder: DataFolder;
  let engine: DataEngine;
  const compare = (a: string, b: string, options = {}) => compareDatasets(new FileDatasetSource(folder.path(a), engine), new FileDatasetSource(folder.path(b), engine), signal(), options);

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
    // train: 1000 rows of unique features; test: 50 copied with their label, 10 copied with the label
    // flipped (one of them twice), 140 new. Every row has a fresh integer id and uuid, and a text
    // feature unique per row that holds spaces (a feature, not a key).
    folder.python(`
import uuid, numpy as np, pandas as pd
rng = np.random.default_rng(7)
n = 1000
train = pd.DataFrame({"id": np.arange(n), "uuid": [str(uuid.UUID(int=int(i) + 1)) for i in range(n)],
    "f1": np.arange(n) * 0.5, "f2": rng.choice(["a", "b", "c"], n), "note": [f"row {i} of train" for i in range(n)],
    "label": rng.integers(0, 2, n)})
same = train.iloc[0:50].copy()
flipped = train.iloc[100:110].copy(); flipped["label"] = 1 - flipped["label"]
flipped = pd.concat([flipped, flipped.iloc[[0]]])
new = pd.DataFrame({"f1": 10000 + np.arange(140) * 1.0, "f2": rng.choice(["a", "b"], 140), "note": [f"new {i}" for i in range(140)], "label": rng.integers(0, 2, 140)})
test = pd.concat([same, flipped, new], ignore_index=True)
test["id"] = 5000 + np.arange(len(test))
test["uuid"] = [str(uuid.UUID(int=10**6 + i)) for i in range(len(test))]
train.to_csv("train.csv", index=False)
test[train.columns].sample(frac=1, random_state=1).to_csv("test.csv", index=False)
`);
  });
  after(async () => {
    await engine?.close();
    folder?.close();
  });

  it('an id and a uuid unique on every row are left out of the key: the copied feature rows count (every column as key finds none)', async () => {
    const result = await compare('train.csv', 'test.csv');
    assert.deepEqual(result.leftOut, [{ column: 'id', reason: 'identifier' }, { column: 'uuid', reason: 'identifier' }]);
    assert.deepEqual(result.comparedColumns, ['f1', 'f2', 'note', 'label']);
    assert.deepEqual([result.firstRows, result.secondRows], [1000, 201]);
    // Without a target the label is part of the key: the 50 rows copied with their label.
    assert.deepEqual([result.sharedDistinctRows, result.firstRowsShared, result.secondRowsShared], [50, 50, 50]);
    assert.equal(result.labels, undefined);
    // The old comparison (every shared column, the id with them) found nothing.
    const old = await compare('train.csv', 'test.csv', { keyColumns: ['id', 'uuid', 'f1', 'f2', 'note', 'label'] });
    assert.deepEqual([old.sharedDistinctRows, old.firstRowsShared, old.secondRowsShared], [0, 0, 0]);
    assert.deepEqual(old.leftOut, []);
  });

  it('with the target chosen: features in both files counted, and the conflicting labels exactly, with examples', async () => {
    const result = await compare('train.csv', 'test.csv', { target: 'label' });
    assert.deepEqual(result.comparedColumns, ['f1', 'f2', 'note']);
    assert.deepEqual(result.leftOut.map((l) => `${l.column}:${l.reason}`), ['id:identifier', 'uuid:identifier', 'label:target']);
    // 50 same + 10 flipped feature rows; test holds one flipped row twice.
    assert.deepEqual([result.sharedDistinctRows, result.firstRowsShared, result.secondRowsShared], [60, 60, 61]);
    assert.deepEqual(result.labels && [result.labels.target, result.labels.conflictingDistinctRows, result.labels.firstRowsConflicting, result.labels.secondRowsConflicting], ['label', 10, 10, 11]);
    assert.equal(result.labels?.sample.length, 10);
    for (const row of result.labels?.sample ?? []) {
      // f1, f2, note, then labels here and there: one label each, not the same.
      assert.equal(row.length, 5);
      assert.match(String(row[2]), /^row 1\d\d of train$/);
      assert.ok(['0', '1'].includes(String(row[3])) && ['0', '1'].includes(String(row[4])) && row[3] !== row[4], JSON.stringify(row));
    }
    // Chosen key columns: no identifiers looked for; the target still left out.
    const chosen = await compare('train.csv', 'test.csv', { target: 'label', keyColumns: ['note'] });
    assert.deepEqual(chosen.comparedColumns, ['note']);
    assert.deepEqual(chosen.leftOut.map((l) => `${l.column}:${l.reason}`), ['id:chosen', 'uuid:chosen', 'f1:chosen', 'f2:chosen', 'label:target']);
    assert.equal(chosen.sharedDistinctRows, 60);
    await assert.rejects(compare('train.csv', 'test.csv', { keyColumns: ['nope'] }), /nope is not in both files/);
  });

  it('a value past the rows DuckDB sniffs (line 25002): compare and drift read the column as text and say so', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => `${i === 25_000 ? 'abc' : i % 97},${i % 5},${i}`);
    writeFileSync(folder.path('late.csv'), `x,y,z\n${rows.join('\n')}\n`);
    writeFileSync(folder.path('small.csv'), `x,y,z\n1,1,1\n2,2,2\n200,0,9999999\n`);
    const result = await compare('late.csv', 'small.csv');
    assert.deepEqual(result.notes, ["late.csv: x read as text: line 25002 holds 'abc', not a BIGINT."]);
    assert.deepEqual(result.typeChanges, [{ column: 'x', firstType: 'VARCHAR', secondType: 'BIGINT' }]);
    // z is unique in both files: an identifier; rows 1 and 2 of small.csv hold x, y as late.csv's rows do.
    assert.deepEqual(result.leftOut, [{ column: 'z', reason: 'identifier' }]);
    assert.equal(result.sharedDistinctRows, 2);
    const swapped = await compare('small.csv', 'late.csv');
    assert.deepEqual(swapped.notes, ["late.csv: x read as text: line 25002 holds 'abc', not a BIGINT."]);
    assert.equal(swapped.sharedDistinctRows, 2);
    const drift = await detectFileDrift(engine, folder.path('late.csv'), folder.path('small.csv'), {}, signal());
    assert.ok(drift.notes?.includes("late.csv: x read as text: line 25002 holds 'abc', not a BIGINT."), JSON.stringify(drift.notes));
    assert.equal(drift.referenceRows, 30_000);
    const driftBack = await detectFileDrift(engine, folder.path('small.csv'), folder.path('late.csv'), {}, signal());
    assert.equal(driftBack.currentRows, 30_000);
  });

  it('1.5M rows against 100k: compared within bounded time, the counts exact, the id checked unique', async () => {
    // train: 1.5M rows, id unique; test: 100k rows, the first 20k of them train's features (a quarter with another label).
    await folder.duckdb(`COPY (SELECT i AS id, i % 1000 AS f1, (i // 1000) * 0.25 AS f2, i % 3 AS label FROM range(1500000) t(i)) TO ${lit(folder.path('big.csv'))} (HEADER)`);
    await folder.duckdb(`COPY (SELECT 2000000 + i AS id, CASE WHEN i < 20000 THEN i % 1000 ELSE 5000 + i END AS f1, CASE WHEN i < 20000 THEN (i // 1000) * 0.25 ELSE 0 END AS f2,
      CASE WHEN i < 5000 THEN (i % 3 + 1) % 3 ELSE i % 3 END AS label FROM range(100000) t(i)) TO ${lit(folder.path('bigtest.parquet'))} (FORMAT parquet)`);
    const started = Date.now();
    const cpu = process.cpuUsage();
    const result = await compare('big.csv', 'bigtest.parquet', { target: 'label' });
    const seconds = (Date.now() - started) / 1000;
    assert.deepEqual(result.leftOut.map((l) => l.column), ['id', 'label']);
    assert.deepEqual([result.firstRows, result.secondRows, result.sharedDistinctRows, result.firstRowsShared, result.secondRowsShared], [1_500_000, 100_000, 20_000, 20_000, 20_000]);
    assert.deepEqual([result.labels?.conflictingDistinctRows, result.labels?.firstRowsConflicting, result.labels?.secondRowsConflicting], [5000, 5000, 5000]);
    // The engine's own child process does the work; the bound is generous for a loaded machine.
    assert.ok(seconds < 120, `${seconds} s`);
    const used = process.cpuUsage(cpu);
    console.log(`      1.5M vs 100k compare: ${seconds.toFixed(1)} s wall, host CPU ${((used.user + used.system) / 1e6).toFixed(2)} s`);
  });
});
