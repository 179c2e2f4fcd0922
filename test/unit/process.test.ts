import assert from 'node:assert/strict';
import { runProcess } from '../../src/common/process';

const node = process.execPath;

describe('runProcess', () => {
  it('collects stdout, stderr and the exit code of a real process', async () => {
    const result = await runProcess(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)'], { timeoutMs: 10_000 });
    assert.equal(result.kind, 'exited');
    if (result.kind !== 'exited') return;
    assert.equal(result.code, 3);
    assert.equal(result.stdout, 'out');
    assert.equal(result.stderr, 'err');
    assert.equal(result.truncated, false);
  });

  it('passes arguments without a shell', async () => {
    const tricky = '$(echo pwned); `id` && rm -rf /nonexistent';
    const result = await runProcess(node, ['-e', 'process.stdout.write(process.argv[1])', tricky], { timeoutMs: 10_000 });
    assert.equal(result.kind === 'exited' && result.stdout, tricky);
  });

  it('reports a missing program as not-found instead of throwing', async () => {
    const result = await runProcess('/nonexistent/definitely-not-here', [], { timeoutMs: 10_000 });
    assert.equal(result.kind, 'not-found');
  });

  it('kills a process that outlives its timeout', async () => {
    const started = Date.now();
    const result = await runProcess(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 });
    assert.equal(result.kind, 'timed-out');
    assert.ok(Date.now() - started < 10_000, 'the process was not killed');
  });

  it('kills a process once stdout holds maxStdoutLines lines, and says the output was cut', async () => {
    const started = Date.now();
    const result = await runProcess(node, ['-e', 'let i = 0; setInterval(() => process.stdout.write(`line ${i++}\\n`), 1)'], { timeoutMs: 60_000, maxStdoutLines: 50 });
    assert.equal(result.kind, 'exited');
    if (result.kind !== 'exited') return;
    assert.equal(result.truncated, true);
    assert.equal(result.code, null, 'killed, not exited by itself');
    assert.ok(result.stdout.split('\n').length > 50);
    assert.match(result.stdout, /^line 0\nline 1\n/);
    assert.ok(Date.now() - started < 20_000, 'the process was not stopped at the line cap');
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const pending = runProcess(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    assert.equal((await pending).kind, 'cancelled');
  });

  it('caps huge output and says it did', async () => {
    const result = await runProcess(node, ['-e', 'process.stdout.write("x".repeat(5_000_000))'], { timeoutMs: 20_000, maxOutputBytes: 1000 });
    assert.equal(result.kind, 'exited');
    if (result.kind !== 'exited') return;
    assert.equal(result.stdout.length, 1000);
    assert.equal(result.truncated, true);
  });

  it('feeds stdin', async () => {
    const result = await runProcess(node, ['-e', 'process.stdin.pipe(process.stdout)'], { timeoutMs: 10_000, input: 'hello' });
    assert.equal(result.kind === 'exited' && result.stdout, 'hello');
  });
});
