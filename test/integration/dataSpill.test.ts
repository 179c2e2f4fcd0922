import * as assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DataEngine } from '../../src/data/engine/engineClient';
import { DataFolder } from '../support/dataFixtures';

// Spill is capped (DuckDB's max_temp_directory_size) so a sort or a join past memory_limit cannot
// fill the disk: tightly for the confined database that runs the model's SQL, and at half the temp
// disk's free space (64 GB at most) for the files the person opens. A real engine, a real sort.

describe('Dataset engine: spill to disk is capped', function () {
  this.timeout(120_000);
  let folder: DataFolder;
  let engine: DataEngine;
  let defaults: DataEngine;

  before(() => {
    folder = new DataFolder();
    engine = new DataEngine({ memoryLimitMb: 64, threads: 1, spillLimitMb: 24, confinedSpillLimitMb: 8 });
    defaults = new DataEngine({ memoryLimitMb: 256, threads: 1 });
  });
  after(async () => {
    await engine?.close();
    await defaults?.close();
    folder?.close();
  });

  const setting = async (e: DataEngine, confined: boolean): Promise<number> => {
    // The engine reads it itself: confined SQL may not read settings (confinedSql refuses current_setting).
    const text = String(await e.setting('max_temp_directory_size', confined ? [folder.dir] : undefined));
    const m = /^([\d.]+) (KiB|MiB|GiB|TiB|KB|MB|GB|TB)$/.exec(text);
    assert.ok(m, text);
    const unit = { KiB: 1 / 1024, MiB: 1, GiB: 1024, TiB: 1024 * 1024, KB: 1e3 / 1048576, MB: 1e6 / 1048576, GB: 1e9 / 1048576, TB: 1e12 / 1048576 }[m[2] as 'MiB'];
    return Number(m[1]) * unit;
  };

  it('sets max_temp_directory_size on the main and the confined database', async () => {
    assert.ok(Math.abs((await setting(engine, false)) - 24) < 1.5);
    assert.ok(Math.abs((await setting(engine, true)) - 8) < 1);
    const free = statfsSync(tmpdir());
    const halfFreeMb = (free.bavail * free.bsize) / 2 / 1048576;
    const main = await setting(defaults, false);
    // Not DuckDB's own default (90% of the free space): half of it, within what other processes wrote meanwhile.
    assert.ok(main <= Math.min(64 * 1024, halfFreeMb * 1.05) + 1 && main > Math.min(64 * 1024, halfFreeMb * 0.8), `${main} MB vs half free ${halfFreeMb}`);
    assert.ok((await setting(defaults, true)) <= 2048 + 1);
  });

  it('a sort that would spill past the cap fails with a clear error, and the engine goes on', async () => {
    // ~200 MB of sort keys against 64 MB of memory: it must spill, and 8 MB (confined) / 24 MB (main) is too little.
    const sql = 'SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS h FROM range(3000000) t(i) ORDER BY h';
    for (const confined of [true, false]) {
      await assert.rejects(engine.query(sql, { maxRows: 1, ...(confined ? { confinedTo: [folder.dir] } : {}) }), (e: Error) => /max_temp_directory_size/.test(e.message), `confined: ${confined}`);
    }
    assert.deepEqual((await engine.query('SELECT 42', {})).rows, [[42]]);
  });
});
