import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/common/atomicWrite';

describe('writeFileAtomic', () => {
  it('replaces the file, keeps its mode and creates missing folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-atomic-'));
    const file = join(dir, 'run.sh');
    writeFileSync(file, 'old');
    chmodSync(file, 0o750);
    await writeFileAtomic(file, 'new');
    assert.equal(readFileSync(file, 'utf8'), 'new');
    assert.equal(statSync(file).mode & 0o777, 0o750);
    await writeFileAtomic(join(dir, 'a/b/c.txt'), 'deep');
    assert.equal(readFileSync(join(dir, 'a/b/c.txt'), 'utf8'), 'deep');
  });

  it('fails without leaving a temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-atomic-'));
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'inside'), 'x');
    await assert.rejects(writeFileAtomic(join(dir, 'taken'), 'text'));
    assert.deepEqual(readdirSync(dir), ['taken']);
  });
});
