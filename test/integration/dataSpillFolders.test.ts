import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataEngine } from '../../src/data/engine/engineClient';

// A killed engine (a cancelled query past its grace, a query over its time limit that ignored the interrupt) cannot remove
// its own spill folder: the host removes it when the child exits, and a new engine sweeps the
// folders of engines whose process is gone. A real engine, really killed.

const spillFolders = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('ml-engineer-duckdb-'));

async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('Dataset engine: spill folders of killed engines are removed', function () {
  this.timeout(120_000);
  let tempDir: string;
  let engine: DataEngine | undefined;
  beforeEach(() => (tempDir = mkdtempSync(join(tmpdir(), 'mle-spill-'))));
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    rmSync(tempDir, { recursive: true, force: true });
  });

  it('removes the folder of an engine killed for overrunning its time limit', async function () {
    if (process.platform === 'win32') this.skip(); // mkfifo
    // A read blocked on a FIFO no one writes ignores DuckDB's interrupt: the engine is killed after the grace.
    const fifo = join(tempDir, 'blocked.csv');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    engine = new DataEngine({ threads: 1, tempDir, overrunGraceMs: 500 });
    assert.deepEqual((await engine.query('SELECT 1', {})).rows, [[1]]);
    const [folder] = spillFolders(tempDir);
    assert.ok(folder, 'the running engine has its spill folder');
    writeFileSync(join(tempDir, folder, 'spilled.block'), Buffer.alloc(1024 * 1024));
    await assert.rejects(engine.query(`SELECT * FROM read_csv('${fifo.replaceAll("'", "''")}')`, { timeMs: 300 }), /did not stop when interrupted/);
    assert.ok(await until(() => !spillFolders(tempDir).includes(folder)), `left behind: ${spillFolders(tempDir).join(', ')}`);
    // The next query starts a fresh engine with its own folder.
    assert.deepEqual((await engine.query('SELECT 2', {})).rows, [[2]]);
    assert.equal(spillFolders(tempDir).length, 1);
  });

  it('a new engine sweeps the folders of engines whose process is gone, and keeps a live one', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    assert.ok(deadPid > 0);
    mkdirSync(join(tempDir, `ml-engineer-duckdb-${deadPid}`));
    writeFileSync(join(tempDir, `ml-engineer-duckdb-${deadPid}`, 'spilled.block'), 'x');
    // This process is alive: a folder named for it (another window's engine) stays.
    mkdirSync(join(tempDir, `ml-engineer-duckdb-${process.pid}`));
    mkdirSync(join(tempDir, 'ml-engineer-duckdb-notapid'));
    engine = new DataEngine({ threads: 1, tempDir });
    await engine.query('SELECT 1', {});
    assert.ok(await until(() => !spillFolders(tempDir).includes(`ml-engineer-duckdb-${deadPid}`)), 'the dead engine\'s folder is swept');
    assert.ok(spillFolders(tempDir).includes(`ml-engineer-duckdb-${process.pid}`));
    assert.ok(spillFolders(tempDir).includes('ml-engineer-duckdb-notapid'));
  });
});
