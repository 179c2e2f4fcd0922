import * as assert from 'node:assert/strict';
import { DuckDBDataChunk, INTEGER, VARCHAR } from '@duckdb/node-api';
import { Int32, Utf8 } from 'apache-arrow';
import { columnPlan } from '../../src/data/engine/arrowColumns';
import { fillColumn } from '../../src/data/engine/arrowImport';

// A record batch that lacks a column (apache-arrow's reader builds every schema field today; a
// batch without one must not leave that part of the chunk unwritten, to be appended as values).

describe('Arrow import: every column of a chunk is written', () => {
  for (const [type, duckType] of [[new Int32(), INTEGER], [new Utf8(), VARCHAR]] as const) {
    it(`a batch lacking a ${type.toString()} column fails with the column named`, () => {
      const chunk = DuckDBDataChunk.create([duckType]);
      for (const missing of [null, undefined]) {
        assert.throws(() => fillColumn(chunk, 0, missing, 'label', 0, 10, columnPlan(type)), /^Error: Arrow Error: column "label": the record batch lacks it/);
      }
    });
  }
});
