import * as assert from 'node:assert/strict';
import { chooseFormat, hivePartitions, schemaNotes } from '../../src/data/engine/folderFiles';
import { folderScan } from '../../src/data/engine/folderDatasetSource';
import { SqlParams } from '../../src/data/engine/sqlText';

// The pure parts of a folder dataset: which format a mixed folder is read as, the hive partition
// keys from the shards' paths, the notes on shards that add or lack columns, and the scan's SQL.

describe('folder datasets: the pure parts', () => {
  it('chooseFormat: the most common format; a tie goes to Parquet, then CSV; none for no data', () => {
    assert.equal(chooseFormat(new Map([['csv', 3], ['parquet', 2]])), 'csv');
    assert.equal(chooseFormat(new Map([['csv', 2], ['parquet', 2]])), 'parquet');
    assert.equal(chooseFormat(new Map([['jsonl', 1], ['tsv', 1]])), 'tsv');
    assert.equal(chooseFormat(new Map([['arrow', 5]])), undefined);
    assert.equal(chooseFormat(new Map()), undefined);
  });

  it('hivePartitions: the keys of key=value folders in path order, never a file name', () => {
    assert.deepEqual(hivePartitions(['year=2024/month=1/part-0.parquet', 'year=2024/month=2/part-0.parquet', 'year=2023/region=eu/month=1/a.parquet']), ['year', 'month', 'region']);
    assert.deepEqual(hivePartitions(['part-00000.parquet', 'a=b.parquet', 'sub/x.parquet']), []);
    assert.deepEqual(hivePartitions(['=odd/x.parquet']), []);
  });

  it('schemaNotes: which shards add a column and which lack one; none when all agree; capped', () => {
    const shards = new Map([
      ['shard-0.csv', ['id', 'label']],
      ['shard-1.csv', ['id', 'label']],
      ['shard-2.csv', ['id', 'label', 'weight']],
    ]);
    assert.deepEqual(schemaNotes(shards), ['Column "weight" only in shard-2.csv.']);
    const lacking = new Map([
      ['a', ['id', 'x']],
      ['b', ['id', 'x']],
      ['c', ['id']],
    ]);
    assert.deepEqual(schemaNotes(lacking), ['Column "x" missing from c (empty there).']);
    assert.deepEqual(schemaNotes(new Map([['a', ['id']], ['b', ['id']]])), []);
    const many = new Map([['a', ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']], ['b', []]]);
    assert.deepEqual(schemaNotes(many, 2), ['Column "c1" only in a.', 'Column "c2" only in a.', '5 more columns not in every shard.']);
  });

  it('folderScan: every path bound, union_by_name and hive partitions on, the text readers as for one file', () => {
    const params = new SqlParams();
    assert.equal(folderScan('parquet', ['/d/a.parquet', "/d/it's.parquet"], params), 'read_parquet([$1, $2], union_by_name = true, hive_partitioning = true)');
    assert.deepEqual(params.values, ['/d/a.parquet', "/d/it's.parquet"]);
    assert.match(folderScan('tsv', ['/d/a.tsv'], new SqlParams()), /^read_csv\(\[\$1\], union_by_name = true, hive_partitioning = true, max_line_size = \d+, skip = 0, auto_type_candidates = .*, delim = '\\t'\)$/);
    assert.equal(folderScan('jsonl', ['/d/a.jsonl'], new SqlParams()), "read_json([$1], format = 'newline_delimited', union_by_name = true, hive_partitioning = true)");
    assert.throws(() => folderScan('arrow', ['/d/a.arrow'], new SqlParams()));
  });
});
