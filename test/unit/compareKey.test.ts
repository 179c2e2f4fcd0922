import * as assert from 'node:assert/strict';
import type { DatasetColumn } from '../../src/data/datasetSource';
import { chooseKey, hintsIdentifier, identifierCandidates, isIdentifier, MAX_ID_CANDIDATES, type KeyStats } from '../../src/data/engine/compareKey';

// The row key of a comparison of two files (compareKey.ts): which columns are identifiers, and
// what is left when the target and the identifiers go.

const col = (name: string, kind: DatasetColumn['kind'] = 'integer'): DatasetColumn => ({ name, type: kind === 'string' ? 'VARCHAR' : kind === 'float' ? 'DOUBLE' : 'BIGINT', kind });
const unique = (rows: number, text: Partial<KeyStats> = {}): KeyStats => ({ rows, unique: true, nonNull: rows, ...text });

describe('compareKey', () => {
  it('an identifier is unique and never null in both files; the values decide, the name only admits prose-like text', () => {
    assert.equal(isIdentifier(col('id'), unique(1000), unique(200)), true);
    assert.equal(isIdentifier(col('code'), unique(1000), unique(200)), true, 'an unnamed integer unique in both');
    assert.equal(isIdentifier(col('id'), unique(1000), { rows: 200, unique: false, nonNull: 200 }), false, 'a repeat in one file');
    assert.equal(isIdentifier(col('id'), unique(1000), { rows: 200, unique: true, nonNull: 199 }), false, 'a null');
    assert.equal(isIdentifier(col('id'), unique(1), unique(200)), false, 'one row is unique by itself');
    assert.equal(isIdentifier(col('sku', 'string'), unique(10, { maxLength: 36, spaced: 0 }), unique(5, { maxLength: 36, spaced: 0 })), true);
    assert.equal(isIdentifier(col('review', 'string'), unique(10, { maxLength: 300, spaced: 10 }), unique(5, { maxLength: 200, spaced: 5 })), false, 'prose is a feature');
    assert.equal(isIdentifier(col('review', 'string'), unique(10, { maxLength: 20, spaced: 0 }), unique(5, { maxLength: 90, spaced: 0 })), false, 'too long to be a key');
    assert.equal(isIdentifier(col('user_id', 'string'), unique(10, { maxLength: 80, spaced: 3 }), unique(5, { maxLength: 80, spaced: 1 })), true, 'named as one');
  });

  it('names that hint an identifier, and the candidates checked (integers and text, hinted first, capped, never the target)', () => {
    for (const name of ['id', 'ID', 'row_id', 'rowid', 'uuid', 'user_id', 'userId', 'order.key', 'index', 'pk']) assert.equal(hintsIdentifier(name), true, name);
    for (const name of ['paid', 'valid', 'kid', 'width', 'monkey', 'label']) assert.equal(hintsIdentifier(name), false, name);
    const common = [col('a'), col('f', 'float'), col('when', 'date'), col('text', 'string'), col('row_id'), col('label')];
    assert.deepEqual(identifierCandidates(common, 'label').map((c) => c.name), ['row_id', 'a', 'text']);
    const wide = Array.from({ length: 40 }, (_, i) => col(`c${i}`));
    assert.equal(identifierCandidates([...wide, col('id')], undefined).length, MAX_ID_CANDIDATES);
    assert.equal(identifierCandidates([...wide, col('id')], undefined)[0]?.name, 'id');
  });

  it('the key: shared columns less the identifiers and the target; identifiers kept when nothing else is left', () => {
    const common = [col('id'), col('f1', 'float'), col('f2', 'string'), col('label')];
    assert.deepEqual(chooseKey(common, ['id'], {}), { key: ['f1', 'f2', 'label'], leftOut: [{ column: 'id', reason: 'identifier' }], notes: [] });
    assert.deepEqual(chooseKey(common, ['id'], { target: 'label' }), { key: ['f1', 'f2'], leftOut: [{ column: 'id', reason: 'identifier' }, { column: 'label', reason: 'target' }], notes: [] });
    const idOnly = chooseKey([col('id'), col('label')], ['id'], { target: 'label' });
    assert.deepEqual(idOnly.key, ['id']);
    assert.deepEqual(idOnly.leftOut, [{ column: 'label', reason: 'target' }]);
    assert.match(idOnly.notes[0] ?? '', /unique on each row \(id\): rows were compared on them all/);
    const noTarget = chooseKey(common, [], { target: 'y' });
    assert.deepEqual(noTarget.key, ['id', 'f1', 'f2', 'label']);
    assert.deepEqual(noTarget.notes, ['The target y is not in both files: labels were not compared.']);
  });

  it('key columns chosen: taken as given (in file order), the target still out, unknown names refused', () => {
    const common = [col('id'), col('f1', 'float'), col('f2', 'string'), col('label')];
    const chosen = chooseKey(common, ['id'], { keyColumns: ['f2', 'id', 'label'], target: 'label' });
    assert.deepEqual(chosen.key, ['id', 'f2']);
    assert.deepEqual(chosen.leftOut, [{ column: 'f1', reason: 'chosen' }, { column: 'label', reason: 'target' }]);
    assert.throws(() => chooseKey(common, [], { keyColumns: ['f3'] }), /f3 is not in both files/);
    assert.throws(() => chooseKey(common, [], { keyColumns: ['label'], target: 'label' }), /at least one key column other than the target/);
  });
});
