import * as assert from 'node:assert/strict';
import { isVariableName } from '../../src/data/kernel/kernelDatasetSource';
import { nameAtCursor } from '../../src/data/kernel/nameAtCursor';

describe('Kernel data: the variable name under the cursor', () => {
  it('finds the name the cursor is on, before or after it', () => {
    const line = 'train_df.head(10) + données';
    assert.equal(nameAtCursor(line, 0), 'train_df');
    assert.equal(nameAtCursor(line, 4), 'train_df');
    assert.equal(nameAtCursor(line, 8), 'train_df', 'just after the name');
    assert.equal(nameAtCursor(line, line.length), 'données', 'non-ASCII identifiers');
    assert.equal(nameAtCursor('  df', 99), 'df', 'past the end of the line');
  });

  it('refuses attributes, keywords, numbers and blanks', () => {
    assert.equal(nameAtCursor('train_df.head(10)', 11), undefined, 'a method, not a variable');
    assert.equal(nameAtCursor('obj. df', 6), undefined);
    assert.equal(nameAtCursor('for x in y', 1), undefined);
    assert.equal(nameAtCursor('x = 42', 5), undefined);
    assert.equal(nameAtCursor('a  +  b', 3), undefined);
    assert.equal(nameAtCursor('', 0), undefined);
  });

  it('accepts only identifiers as variable names (a name travels as data, never as code)', () => {
    for (const ok of ['df', '_x1', 'données', 'X_train']) assert.equal(isVariableName(ok), true, ok);
    for (const bad of ['', '1df', 'df.x', 'df[0]', 'a b', '__import__("os")', 'df\n']) assert.equal(isVariableName(bad), false, bad);
  });
});
