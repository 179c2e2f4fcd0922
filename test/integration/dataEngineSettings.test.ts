import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { EMPTY_VIEW } from '../../src/data/datasetSource';
import { DataEngine } from '../../src/data/engine/engineClient';
import { checkEngineSettings } from '../../src/data/engine/engineSettings';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';

// The mlEngineer.data.* settings reach DuckDB: the adapter's own path (checkEngineSettings, then
// reconfigure on the shared engine) restarts a running engine, and DuckDB reports the new values.

describe('Dataset engine: settings reach DuckDB', function () {
  this.timeout(120_000);
  let dir: string;
  let engine: DataEngine;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ml-engine-settings-'));
    engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
  });
  after(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mib = (text: string | null): number => {
    const m = /^([\d.]+) (KiB|MiB|GiB)$/.exec(String(text));
    assert.ok(m, String(text));
    return Number(m[1]) * { KiB: 1 / 1024, MiB: 1, GiB: 1024 }[m[2] as 'MiB'];
  };

  it('restarts an idle engine with the memory limit, threads and spill folder, and open sources go on', async () => {
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, 'a,b\n1,x\n2,y\n3,z\n');
    const source = new FileDatasetSource(csv, engine);
    assert.equal((await source.info(EMPTY_VIEW, AbortSignal.timeout(60_000))).totalRows, 3);
    const before = engine.pid;
    assert.ok(Math.abs(mib(await engine.setting('memory_limit')) - 256e6 / 2 ** 20) < 1);

    const spill = join(dir, 'spill');
    mkdirSync(spill);
    const { options, warnings } = checkEngineSettings({ memoryLimitMb: 512, threads: 2, spillFolder: spill });
    assert.deepEqual(warnings, []);
    assert.equal(engine.reconfigure(options), true);
    assert.ok(Math.abs(mib(await engine.setting('memory_limit')) - 512e6 / 2 ** 20) < 1);
    assert.equal(await engine.setting('threads'), '2');
    assert.equal(dirname(String(await engine.setting('temp_directory'))), spill);
    assert.match(basename(String(await engine.setting('temp_directory'))), new RegExp(`^ml-engineer-duckdb-${engine.pid}-\\w{6}$`));
    assert.notEqual(engine.pid, before);
    // The open source's table went with the old process: its next query builds it again.
    assert.deepEqual((await source.rows({ filters: [], sort: [{ column: 'a', descending: true }] }, 0, 3, AbortSignal.timeout(60_000))).rows.map((r) => r[0]), [3, 2, 1]);
    await source.dispose();

    // The same settings again: nothing to restart.
    const pid = engine.pid;
    assert.equal(engine.reconfigure(checkEngineSettings({ memoryLimitMb: 512, threads: 2, spillFolder: spill }).options), true);
    assert.equal(await engine.setting('threads'), '2');
    assert.equal(engine.pid, pid);
  });

  it('waits while a query runs, and bad values fall back to the defaults', async () => {
    const slow = engine.query('SELECT count(*) FROM range(3000000000) a', { timeMs: 60_000 }, AbortSignal.timeout(1500)).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { options, warnings } = checkEngineSettings({ memoryLimitMb: 5, threads: 1, spillFolder: join(dir, 'missing') });
    assert.equal(warnings.length, 2);
    assert.equal(engine.reconfigure(options), false, 'a running query is not cut off');
    await slow;
    assert.equal(engine.reconfigure(options), true);
    assert.ok(Math.abs(mib(await engine.setting('memory_limit')) - 1024e6 / 2 ** 20) < 1);
    assert.equal(await engine.setting('threads'), '1');
    assert.equal(dirname(String(await engine.setting('temp_directory'))), tmpdir());
    assert.match(basename(String(await engine.setting('temp_directory'))), new RegExp(`^ml-engineer-duckdb-${engine.pid}-\\w{6}$`));
  });
});
