import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve, win32 } from 'node:path';
import { rgPath } from '@vscode/ripgrep';
import { listFilesTool, searchWorkspaceTool } from '../../src/agent/tools/fileTools';
import { findRipgrep, globFolder, globPlan, ripgrep, ripgrepCandidates } from '../../src/agent/tools/ripgrep';
import { ToolInputError, type ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';

// list_files and search_workspace through real ripgrep binaries: the one @vscode/ripgrep installs
// from npm (what VS Code ships, a newer release) and Debian's `rg` on PATH (what the e2e
// code-server carries, 13.0), so both generations of flags are exercised.
const systemRg = spawnSync('rg', ['--version'], { encoding: 'utf8' }).status === 0 ? 'rg' : undefined;
const binaries = [{ name: '@vscode/ripgrep', rg: rgPath }, ...(systemRg ? [{ name: 'rg on PATH', rg: systemRg }] : [])];

function write(path: string, text: string): void {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** Every process whose command line mentions `marker` (Linux /proc): a killed rg must not be among them. */
function processesMentioning(marker: string): number[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

for (const { name, rg } of binaries) {
  describe(`file tools through ripgrep (${name})`, () => {
    let base: string;
    let ws: string;
    let context: ToolContext;
    const never = new AbortController().signal;
    const search = async (input: Parameters<typeof searchWorkspaceTool.run>[0]): Promise<string> => (await searchWorkspaceTool.run(input, context, never)).content;
    const list = async (input: Parameters<typeof listFilesTool.run>[0]): Promise<string> => (await listFilesTool.run(input, context, never)).content;

    before(() => {
      base = mkdtempSync(join(tmpdir(), 'mle-rg-'));
      ws = join(base, 'ws');
      write(join(ws, 'train.py'), 'import torch\nlr = 0.001  # LEARNING rate\n');
      write(join(ws, 'src/model.py'), 'class Model:\n    lr = 3e-4\n');
      write(join(ws, 'notes.md'), 'learning rate notes\r\nsecond line\r\n');
      write(join(ws, '.github/workflows/ci.yml'), 'name: learning\n');
      // Ignored without a .git folder too, nested ignore files included.
      write(join(ws, '.gitignore'), '*.log\noutputs/\n');
      write(join(ws, 'train.log'), 'learning rate 0.1\n');
      write(join(ws, 'outputs/run1/metrics.txt'), 'learning rate 0.2\n');
      write(join(ws, 'src/.gitignore'), 'generated.py\n');
      write(join(ws, 'src/generated.py'), 'learning = True\n');
      write(join(ws, 'node_modules/pkg/index.js'), 'learning\n');
      write(join(ws, '.venv/lib/site.py'), 'learning\n');
      // Outside the workspace, reachable only through symlinks: never listed or searched.
      write(join(base, 'outside/secret.txt'), 'learning secret\n');
      symlinkSync(join(base, 'outside'), join(ws, 'linked-dir'));
      symlinkSync(join(base, 'outside/secret.txt'), join(ws, 'linked.txt'));
      // A line on which a backtracking engine takes exponential time for (a+)+$.
      write(join(ws, 'data/evil.txt'), `${'a'.repeat(100_000)}!\n`);
      for (let i = 0; i < 30; i++) write(join(ws, `many/f${String(i).padStart(2, '0')}.txt`), 'needle\nneedle again\n');
      spawnSync('mkfifo', [join(ws, 'pipe')]);
      context = { files: new WorkspaceFiles([{ name: 'ws', path: ws }]), applyChange: () => Promise.resolve(), ripgrep: rg };
    });
    after(() => rmSync(base, { recursive: true, force: true }));

    it('searches case-insensitively by default, as path:line: text, and respects .gitignore, skipped folders and symlinks', async () => {
      const out = await search({ query: 'learning' });
      const paths = out.split('\n').map((l) => l.split(':')[0]).sort();
      assert.deepEqual(paths, ['.github/workflows/ci.yml', 'notes.md', 'train.py']);
      assert.match(out, /^train\.py:2: lr = 0\.001 {2}# LEARNING rate$/m);
      assert.match(out, /^notes\.md:1: learning rate notes$/m, 'CRLF stripped');
      assert.doesNotMatch(out, /secret|train\.log|outputs|generated|node_modules|\.venv/);
      assert.equal(await search({ query: 'learning', case_sensitive: true, glob: '**/*.py' }), 'No matches.');
      assert.match(await search({ query: 'LEARNING', case_sensitive: true }), /^train\.py:2:/);
    });

    it('limits by glob and path', async () => {
      assert.deepEqual((await search({ query: 'lr', glob: '**/*.py' })).split('\n').sort(), ['src/model.py:2: lr = 3e-4', 'train.py:2: lr = 0.001  # LEARNING rate']);
      assert.equal(await search({ query: 'lr', path: 'src' }), 'src/model.py:2: lr = 3e-4');
      assert.equal(await search({ query: 'lr', path: 'src/model.py' }), 'src/model.py:2: lr = 3e-4');
      await assert.rejects(search({ query: 'x', path: '../outside' }), ToolInputError);
      await assert.rejects(search({ query: 'x', path: 'linked-dir' }), /symbolic link/);
      await assert.rejects(search({ query: 'x', path: 'pipe' }), /not a file or folder/, 'a FIFO would block rg');
    });

    it('returns at once for a catastrophic regex, with the event loop free meanwhile (rg is linear; JavaScript would backtrack for ever)', async () => {
      let longestGap = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      }, 5);
      const started = performance.now();
      try {
        assert.equal(await search({ query: '(a+)+$', path: 'data' }), 'No matches.');
        assert.match(await search({ query: '(a|aa)+!$', path: 'data' }), /^data\/evil\.txt:1: a{300}/);
      } finally {
        clearInterval(ticker);
      }
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
      assert.ok(longestGap < 1000, `the event loop stalled for ${longestGap} ms`);
    });

    it('gives a bad regex back as a clear tool error with ripgrep\'s message', async () => {
      await assert.rejects(search({ query: 'lr = (' }), (error: Error) => error instanceof ToolInputError && /^ripgrep refused the search: regex parse error[\s\S]*unclosed group/.test(error.message));
      await assert.rejects(search({ query: '(?<=a)b' }), (error: Error) => error instanceof ToolInputError && /look-around|look-behind|not supported/i.test(error.message));
    });

    it('caps matches and tells the model', async () => {
      const out = await search({ query: 'needle', path: 'many', max_results: 7 });
      const lines = out.split('\n');
      assert.equal(lines.length, 8);
      assert.match(lines[7]!, /^\[stopped at 7 matches; there may be more/);
      const all = await search({ query: 'needle', path: 'many', max_results: 1000 });
      assert.equal(all.split('\n').length, 60, 'all 60 matches, no note');
    });

    it('lists files sorted, with sizes, respecting .gitignore and symlinks, with glob and cap', async () => {
      const out = await list({});
      const paths = out.split('\n').map((l) => l.split('  (')[0]!);
      assert.deepEqual(paths.filter((p) => !p.startsWith('many/')), ['.github/workflows/ci.yml', '.gitignore', 'data/evil.txt', 'notes.md', 'src/.gitignore', 'src/model.py', 'train.py']);
      assert.match(out, /^train\.py {2}\(41 B\)$/m);
      assert.match(out, /^data\/evil\.txt {2}\(97\.7 KB\)$/m);
      assert.deepEqual((await list({ pattern: '*.py' })).split('\n'), ['src/model.py  (27 B)', 'train.py  (41 B)']);
      assert.deepEqual((await list({ pattern: 'src/**' })).split('\n').map((l) => l.split('  (')[0]), ['src/.gitignore', 'src/model.py']);
      assert.deepEqual((await list({ path: 'src' })).split('\n').map((l) => l.split('  (')[0]), ['src/.gitignore', 'src/model.py']);
      const capped = (await list({ path: 'many', max_results: 5 })).split('\n');
      assert.deepEqual(capped.slice(0, 5).map((l) => l.split('  (')[0]), ['many/f00.txt', 'many/f01.txt', 'many/f02.txt', 'many/f03.txt', 'many/f04.txt']);
      assert.match(capped[5]!, /^\[stopped at 5 files; narrow with path or pattern\]$/);
      assert.equal((await list({ path: 'many', max_results: 30 })).split('\n').length, 30, 'exactly all: no note');
      assert.equal(await list({ pattern: '*.nothing' }), 'No files matched.');
      assert.equal(await list({ pattern: 'nowhere/*.py' }), 'No files matched.');
    });

    it('keeps .gitignore in force under a glob (rg\'s own --glob would let an ignored file through)', async () => {
      assert.equal(await list({ pattern: '*.log' }), 'No files matched.');
      assert.deepEqual((await list({ pattern: 'src/*.py' })).split('\n'), ['src/model.py  (27 B)']);
      assert.deepEqual((await list({ pattern: 'src/**/*.py' })).split('\n'), ['src/model.py  (27 B)']);
      assert.deepEqual((await list({ pattern: '/*.py' })).split('\n'), ['train.py  (41 B)'], 'a leading slash anchors to the folder');
      assert.equal(await search({ query: 'learning', glob: '*.log' }), 'No matches.');
      assert.equal(await search({ query: 'learning', glob: 'src/*.py' }), 'No matches.');
      assert.deepEqual((await search({ query: 'learning', glob: '*.{md,yml}' })).split('\n').sort(), ['.github/workflows/ci.yml:1: name: learning', 'notes.md:1: learning rate notes']);
      assert.deepEqual((await search({ query: 'learning', glob: '!*.md' })).split('\n').sort(), ['.github/workflows/ci.yml:1: name: learning', 'train.py:2: lr = 0.001  # LEARNING rate']);
    });

    it('refuses a glob whose folder is a symbolic link out of the workspace (rg walks a folder it is given, link or not)', async () => {
      for (const pattern of ['linked-dir/*', 'linked-dir/**', './linked-dir/*.txt', '/linked-dir/*']) {
        await assert.rejects(list({ pattern }), (e: Error) => e instanceof ToolInputError && /leads outside the folder searched/.test(e.message), pattern);
        await assert.rejects(search({ query: 'secret', glob: pattern }), /leads outside the folder searched/, pattern);
      }
      // Wildcards in folder names are rg's own walk, which does not follow links.
      assert.equal(await list({ pattern: '**/linked-dir/*' }), 'No files matched.');
      assert.equal(await search({ query: 'secret', glob: 'l*/*' }), 'No matches.');
    });

    it('in a multi-root workspace, names each folder and searches all of them', async () => {
      const second = join(base, 'second');
      write(join(second, 'eval.py'), 'learning = 1\n');
      const multi: ToolContext = { ...context, files: new WorkspaceFiles([{ name: 'ws', path: ws }, { name: 'second', path: second }]) };
      const out = (await searchWorkspaceTool.run({ query: 'learning', glob: '*.py' }, multi, never)).content;
      assert.deepEqual(out.split('\n'), ['ws/train.py:2: lr = 0.001  # LEARNING rate', 'second/eval.py:1: learning = 1']);
    });

    it('times out on a run that blocks (a FIFO given as the path), killing rg, and keeps what it found', async () => {
      const fifo = join(ws, 'pipe');
      const started = Date.now();
      const output = await ripgrep(['--regexp', 'x'], { rg, target: fifo, timeoutMs: 500, maxLines: 10, signal: never });
      assert.deepEqual(output, { lines: [], capped: false, timedOut: true });
      assert.ok(Date.now() - started < 10_000);
      assert.ok(await waitUntil(() => processesMentioning(fifo).length === 0, 5000), 'rg still runs after its timeout');
    });

    it('cancellation kills rg and rejects with the abort', async () => {
      const fifo = join(ws, 'pipe');
      const controller = new AbortController();
      const pending = ripgrep(['--regexp', 'x'], { rg, target: fifo, timeoutMs: 60_000, maxLines: 10, signal: controller.signal });
      assert.ok(await waitUntil(() => processesMentioning(fifo).length > 0, 5000), 'rg did not start');
      controller.abort();
      await assert.rejects(pending, { name: 'AbortError' });
      assert.ok(await waitUntil(() => processesMentioning(fifo).length === 0, 5000), 'rg still runs after cancellation');
    });
  });
}

describe('globPlan: the model\'s glob as a folder and a name type, so .gitignore stays in force', () => {
  it('reads the shapes models write', () => {
    assert.deepEqual(globPlan('*.py'), { kind: 'names', folder: '', name: '*.py', anyDepth: true });
    assert.deepEqual(globPlan('**/*.py'), { kind: 'names', folder: '', name: '*.py', anyDepth: true });
    assert.deepEqual(globPlan('./src/**/*.{py,pyi}'), { kind: 'names', folder: 'src', name: '*.{py,pyi}', anyDepth: true });
    assert.deepEqual(globPlan('data/raw/*.csv'), { kind: 'names', folder: 'data/raw', name: '*.csv', anyDepth: false });
    assert.deepEqual(globPlan('/*.py'), { kind: 'names', folder: '', name: '*.py', anyDepth: false });
    assert.deepEqual(globPlan('configs/'), { kind: 'names', folder: 'configs', name: '*', anyDepth: true });
    assert.deepEqual(globPlan('configs/**'), { kind: 'names', folder: 'configs', name: '*', anyDepth: true });
    assert.deepEqual(globPlan('**'), { kind: 'all' });
    assert.deepEqual(globPlan('!*.csv'), { kind: 'override', glob: '!*.csv' });
    assert.deepEqual(globPlan('**/tests/*.py'), { kind: 'override', glob: '**/tests/*.py' });
    assert.deepEqual(globPlan('src/*/model.py'), { kind: 'override', glob: 'src/*/model.py' });
    assert.deepEqual(globPlan('../x/*.py'), { kind: 'override', glob: '../x/*.py' });
  });
});

describe('globFolder: a glob\'s folder stays inside the folder searched, on Windows too', () => {
  it('refuses "..\\" steps, which Windows reads as separators, and takes real folder names', async () => {
    const climb = await globFolder('C:\\Users\\me\\ws', '..\\..\\secrets', '..\\..\\secrets/*.txt', win32).catch((e: Error) => e);
    assert.ok(climb instanceof ToolInputError && /"\.\.\\\.\.\\secrets\/\*\.txt" leads outside/.test(climb.message), String(climb));
    await assert.rejects(globFolder('C:\\ws', 'src\\..\\..', 'src\\..\\../*', win32), ToolInputError);
    assert.equal(await globFolder('C:\\ws', 'data/raw', 'data/raw/*.csv', win32), 'C:\\ws\\data\\raw');
    assert.equal(await globFolder('C:\\ws', '..env', '..env/*', win32), 'C:\\ws\\..env');
    // On Linux a backslash is part of a name: that folder is inside.
    assert.equal(await globFolder('/ws', '..\\..\\x', '..\\..\\x/*', posix), '/ws/..\\..\\x');
  });
});

describe('finding the ripgrep VS Code ships', () => {
  it('looks in node_modules.asar.unpacked and node_modules, in both package layouts, with rg.exe on Windows', () => {
    assert.deepEqual(ripgrepCandidates('/opt/vscode/resources/app', 'linux', 'x64'), [
      '/opt/vscode/resources/app/node_modules.asar.unpacked/@vscode/ripgrep/bin/rg',
      '/opt/vscode/resources/app/node_modules.asar.unpacked/@vscode/ripgrep-linux-x64/bin/rg',
      '/opt/vscode/resources/app/node_modules/@vscode/ripgrep/bin/rg',
      '/opt/vscode/resources/app/node_modules/@vscode/ripgrep-linux-x64/bin/rg',
    ]);
    const windows = ripgrepCandidates('C:\\Program Files\\Microsoft VS Code\\resources\\app', 'win32', 'arm64');
    assert.equal(windows[0], 'C:\\Program Files\\Microsoft VS Code\\resources\\app\\node_modules.asar.unpacked\\@vscode\\ripgrep\\bin\\rg.exe');
    assert.equal(windows[3], 'C:\\Program Files\\Microsoft VS Code\\resources\\app\\node_modules\\@vscode\\ripgrep-win32-arm64\\bin\\rg.exe');
    assert.ok(windows.every((c) => win32.isAbsolute(c)) && ripgrepCandidates('/a').every((c) => posix.isAbsolute(c)));
  });

  it('finds an executable rg under appRoot, the unpacked asar first, and falls back to rg on PATH', async () => {
    const appRoot = mkdtempSync(join(tmpdir(), 'mle-approot-'));
    try {
      assert.equal(await findRipgrep(appRoot), 'rg');
      assert.equal(await findRipgrep(undefined), 'rg');
      const plain = join(appRoot, 'node_modules/@vscode/ripgrep/bin/rg');
      write(plain, '#!/bin/sh\n');
      chmodSync(plain, 0o755);
      assert.equal(await findRipgrep(appRoot), plain);
      const unpacked = join(appRoot, 'node_modules.asar.unpacked/@vscode/ripgrep/bin/rg');
      write(unpacked, '#!/bin/sh\n');
      if (process.platform !== 'win32') {
        chmodSync(unpacked, 0o644);
        assert.equal(await findRipgrep(appRoot), plain, 'not executable: skipped');
      }
      chmodSync(unpacked, 0o755);
      assert.equal(await findRipgrep(appRoot), unpacked);
    } finally {
      rmSync(appRoot, { recursive: true, force: true });
    }
  });

  it("finds the rg in the e2e code-server's VS Code, where it is installed", async function () {
    const appRoot = join(process.env.CODE_SERVER_DIR ?? resolve(__dirname, '../../.vscode-test/code-server'), 'node_modules/code-server/lib/vscode');
    if (!existsSync(appRoot)) this.skip();
    const found = await findRipgrep(appRoot);
    assert.equal(found, join(appRoot, 'node_modules/@vscode/ripgrep/bin/rg'));
    assert.match(spawnSync(found, ['--version'], { encoding: 'utf8' }).stdout, /^ripgrep \d+/);
  });
});
