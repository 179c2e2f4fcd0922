import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DataEngine } from '../../src/data/engine/engineClient';
import { makeSpillFolder } from '../../src/data/engine/spillFolders';
import { eventually } from '../support/eventually';

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
    const dead = join(tempDir, `ml-engineer-duckdb-${deadPid}-abc123`);
    mkdirSync(dead, { mode: 0o700 });
    writeFileSync(join(dead, 'spilled.block'), 'x');
    // This process is alive: a folder named for it (another window's engine) stays.
    mkdirSync(join(tempDir, `ml-engineer-duckdb-${process.pid}-live01`), { mode: 0o700 });
    mkdirSync(join(tempDir, 'ml-engineer-duckdb-notapid'));
    // Named for a dead engine but not provably ours: a link, a folder open to others, another user's, the old bare name.
    const outside = mkdtempSync(join(tmpdir(), 'mle-outside-'));
    writeFileSync(join(outside, 'theirs'), 'keep');
    const [link, open, bare, other] = [`${deadPid}-link01`, `${deadPid}-open01`, `${deadPid}`, `${deadPid}-other1`].map((n) => join(tempDir, `ml-engineer-duckdb-${n}`)) as [string, string, string, string];
    symlinkSync(outside, link);
    mkdirSync(open);
    chmodSync(open, 0o777);
    mkdirSync(bare, { mode: 0o700 });
    const kept = [link, open, bare];
    if (process.getuid?.() === 0) {
      mkdirSync(other, { mode: 0o700 });
      chownSync(other, 65534, 65534);
      kept.push(other);
    }
    try {
      engine = new DataEngine({ threads: 1, tempDir });
      await engine.query('SELECT 1', {});
      await eventually('the dead engine\'s folder to be swept', () => existsSync(dead), (left) => !left, { timeoutMs: 5000 });
      const left = spillFolders(tempDir);
      for (const name of [`ml-engineer-duckdb-${process.pid}-live01`, 'ml-engineer-duckdb-notapid', ...kept.map((p) => basename(p))]) assert.ok(left.includes(name), `${name} kept: ${left.join(', ')}`);
      assert.ok(existsSync(join(outside, 'theirs')), 'a link\'s target is never touched');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

// Another local user may plant <tmp>/ml-engineer-duckdb-<pid> (a folder of theirs, or a link to one) for upcoming
// pids; the engine once took it with mkdir -p and spilled the user's data there (attack12 finding 1).
describe('Dataset engine: the spill folder is its own, fresh and private', function () {
  this.timeout(180_000);
  let tempDir: string;
  let attacker: string;
  let engine: DataEngine | undefined;
  beforeEach(() => {
    tempDir = mkdtempSync(join(tmpdir(), 'mle-spill-'));
    attacker = mkdtempSync(join(tmpdir(), 'mle-attacker-'));
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    rmSync(tempDir, { recursive: true, force: true });
    rmSync(attacker, { recursive: true, force: true });
  });

  /** A planted folder (another user's when we can make one) or a link to the attacker's folder. */
  const plant = (name: string, asLink: boolean): void => {
    const path = join(tempDir, name);
    if (asLink) return symlinkSync(attacker, path);
    mkdirSync(path);
    chmodSync(path, 0o777);
    if (process.getuid?.() === 0) chownSync(path, 65534, 65534);
  };

  it('never takes a folder or link already there under the old predictable name', () => {
    for (const asLink of [false, true]) {
      const pid = asLink ? 424242 : 434343;
      plant(`ml-engineer-duckdb-${pid}`, asLink);
      const own = makeSpillFolder(tempDir, pid);
      assert.match(own, new RegExp(`ml-engineer-duckdb-${pid}-[A-Za-z0-9]{6}$`));
      const stats = lstatSync(own);
      assert.ok(stats.isDirectory() && !stats.isSymbolicLink());
      if (process.platform !== 'win32') {
        assert.equal(stats.mode & 0o777, 0o700);
        assert.equal(stats.uid, process.getuid?.());
      }
    }
  });

  it('refuses a parent others may write without the sticky bit', async function () {
    if (process.platform === 'win32') this.skip();
    chmodSync(tempDir, 0o777);
    assert.throws(() => makeSpillFolder(tempDir, 1), /writable by other users and has no sticky bit/);
    engine = new DataEngine({ threads: 1, tempDir });
    await assert.rejects(engine.query('SELECT 1', {}), /The data engine stopped: .*no sticky bit/);
  });

  it('a query that spills writes only into the engine\'s own 0700 folder, never into a planted one', async function () {
    if (process.platform === 'win32') this.skip(); // the shared /tmp setup (sticky bit, other users) is POSIX
    chmodSync(tempDir, 0o1777); // like /tmp
    // Plant for the next pids, alternating a folder and a link, as the attack did.
    const next = Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
    const planted = 3000;
    for (let pid = next; pid < next + planted; pid++) plant(`ml-engineer-duckdb-${pid}`, pid % 2 === 0);
    engine = new DataEngine({ memoryLimitMb: 64, threads: 1, tempDir });
    assert.deepEqual((await engine.query('SELECT 1', {})).rows, [[1]]);
    const owned = spillFolders(tempDir).filter((n) => /-[A-Za-z0-9]{6}$/.test(n));
    assert.equal(owned.length, 1, owned.join(', '));
    const own = join(tempDir, owned[0] ?? '');
    const pid = Number(/ml-engineer-duckdb-(\d+)-/.exec(own)?.[1]);
    assert.ok(pid >= next && pid < next + planted, `the engine's pid ${pid} had a planted name (from ${next})`);
    assert.equal(lstatSync(own).mode & 0o7777, 0o700);
    const spilled = new Set<string>();
    const intoAttacker = new Set<string>();
    const watch = setInterval(() => {
      for (const f of readdirSync(own)) spilled.add(f);
      for (const f of readdirSync(attacker)) intoAttacker.add(f);
    }, 20);
    try {
      // ~130 MB of group keys against 64 MB of memory: it spills.
      const sql = 'SELECT count(*) FROM (SELECT md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS s, count(*) c FROM range(2000000) t(i) GROUP BY s)';
      assert.deepEqual((await engine.query(sql, { maxRows: 1 })).rows, [[2000000]]);
    } finally {
      clearInterval(watch);
    }
    assert.ok(spilled.size > 0, 'the query spilled into the engine\'s folder');
    assert.deepEqual([...intoAttacker], []);
    await engine.close();
    engine = undefined;
    await eventually('the engine\'s folder to go at close', () => existsSync(own), (left) => !left, { timeoutMs: 5000 });
    // The planted names are not ours: left as they were (their owner's to remove).
    assert.ok(existsSync(join(tempDir, `ml-engineer-duckdb-${pid}`)));
  });
});
