import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// `npm run bench` must end as soon as a bench fails, non-zero, whatever the bench left open,
// and a bench whose prerequisite is missing must say so before doing expensive work.
const root = resolve(__dirname, '../..');

function runBench(arg: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', arg], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A bench runner that hangs is the defect: stop it well past any honest exit.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stderr, ms: Date.now() - started });
    });
  });
}

describe('bench runner', function () {
  this.timeout(90_000);

  it('exits 1 at once when a bench fails, though it left a server and a timer open', async () => {
    const result = await runBench('test/fixtures/bench/leaky.bench.ts');
    assert.equal(result.code, 1, `exit ${result.code} after ${result.ms} ms: ${result.stderr}`);
    assert.match(result.stderr, /leaky bench failed on purpose/);
    assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
  });

  it('stops the activation bench before packaging when code-server is not installed', async () => {
    const vsix = join(root, 'dist/ml-engineer.vsix');
    const before = existsSync(vsix) ? statSync(vsix).mtimeMs : undefined;
    const result = await runBench('activation', { CODE_SERVER_DIR: join(root, 'no-such-code-server') });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /code-server is not installed: run test\/e2e\/install-code-server\.sh \(looked for .*no-such-code-server/);
    assert.equal(existsSync(vsix) ? statSync(vsix).mtimeMs : undefined, before, 'it packaged the extension first');
    assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
  });

  it('says how to use it when the bench is unknown', async () => {
    const result = await runBench('no-such-bench');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /usage: npm run bench -- <name> {3}\(available: .*activation.*\)/);
  });
});
