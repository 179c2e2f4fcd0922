import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReaderStopped } from '../../src/common/worker/readerStopped';
import { WorkerRunner, type WorkerRunnerOptions } from '../../src/common/worker/workerRunner';
import type { TestWorkerApi } from '../fixtures/workers/testWorker';
import { buildWorker } from '../support/buildWorker';

/** Real worker threads running test/fixtures/workers/testWorker.ts, bundled as the build bundles dist/workers/. */
describe('WorkerRunner: readers off the extension host thread', function () {
  this.timeout(60_000);
  let script: string;
  const runners: WorkerRunner<TestWorkerApi>[] = [];
  const runner = (options: Partial<WorkerRunnerOptions> = {}): WorkerRunner<TestWorkerApi> => {
    const r = new WorkerRunner<TestWorkerApi>({ script, limits: { memoryMb: 128, timeMs: 10_000 }, ...options });
    runners.push(r);
    return r;
  };
  const subject = { subject: 'model.onnx' };

  before(() => {
    script = buildWorker(join(__dirname, '..', 'fixtures', 'workers', 'testWorker.ts'));
  });
  afterEach(() => {
    for (const r of runners.splice(0)) r.dispose();
  });

  async function stopped(promise: Promise<unknown>): Promise<ReaderStopped> {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof ReaderStopped, `not a ReaderStopped: ${String(error)}`);
      return error;
    }
    assert.fail('the call was not stopped');
  }

  it('answers calls, keeping one warm worker between them', async () => {
    const r = runner();
    assert.deepEqual(await r.call('echo', { value: { a: [1, 2], b: 'x' } }, subject), { a: [1, 2], b: 'x' });
    const first = await r.call('threadId', {}, subject);
    assert.equal(await r.call('threadId', {}, subject), first);
  });

  it('stops a reader that loops forever at the time budget, with the message, and the next call gets a fresh worker', async () => {
    const r = runner({ limits: { memoryMb: 128, timeMs: 300 } });
    const before = await r.call('threadId', {}, subject);
    const started = performance.now();
    const error = await stopped(r.call('loop', {}, subject));
    const took = performance.now() - started;
    assert.equal(error.reason, 'time');
    assert.equal(error.message, 'model.onnx could not be read: the reader took longer than 0.3 s');
    assert.ok(took >= 290 && took < 3000, `stopped after ${took} ms`);
    const after = await r.call('threadId', {}, subject);
    assert.notEqual(after, before, 'a fresh worker');
    assert.equal(await r.call('echo', { value: 7 }, subject), 7);
  });

  it('stops a reader that blocks its event loop past the stall limit, naming the file it had open', async () => {
    const r = runner({ limits: { memoryMb: 128, timeMs: 30_000, stallMs: 300 } });
    const started = performance.now();
    const error = await stopped(r.call('loop', { path: '/work/mlruns/0/abc/metrics/loss' }, { subject: 'mlruns' }));
    assert.equal(error.reason, 'stall');
    assert.equal(error.during, '/work/mlruns/0/abc/metrics/loss');
    assert.match(error.message, /^mlruns could not be read: the reader was busy for more than 0\.3 s without a break$/);
    assert.ok(performance.now() - started < 5000);
  });

  it('lets a reader that keeps its event loop turning work past the stall limit, up to the time limit', async () => {
    const r = runner({ limits: { memoryMb: 128, timeMs: 1200, stallMs: 200 } });
    const error = await stopped(r.call('spinAsync', {}, subject));
    assert.equal(error.reason, 'time');
  });

  it('stops a reader that allocates without end at the heap limit (resourceLimits), and the next call works', async () => {
    const r = runner({ limits: { memoryMb: 48, timeMs: 50_000 } });
    const error = await stopped(r.call('allocate', {}, subject));
    assert.equal(error.reason, 'memory');
    assert.equal(error.message, 'model.onnx could not be read: the reader used more than 48 MB');
    assert.equal(await r.call('echo', { value: 'again' }, subject), 'again');
  });

  it('reports a worker that exits or throws outside a call as stopped, and the next call works', async () => {
    const r = runner();
    const exited = await stopped(r.call('crash', { how: 'exit' }, subject));
    assert.equal(exited.reason, 'crash');
    assert.equal(exited.message, 'model.onnx could not be read: the reader stopped (exit code 3)');
    const threw = await stopped(r.call('crash', { how: 'throw' }, subject));
    assert.equal(threw.message, 'model.onnx could not be read: the reader stopped (uncaught in the worker)');
    assert.equal(await r.call('echo', { value: 1 }, subject), 1);
  });

  it('words a stack overflow for the user and keeps the worker', async () => {
    const r = runner();
    const before = await r.call('threadId', {}, subject);
    const error = await stopped(r.call('recurse', {}, subject));
    assert.equal(error.message, 'model.onnx could not be read: it is nested too deeply for the reader');
    assert.equal(await r.call('threadId', {}, subject), before);
  });

  it('passes a reader\'s own errors through with their name and code', async () => {
    const r = runner();
    await assert.rejects(r.call('read', { path: '/nonexistent/file' }, subject), (e: Error & { code?: string }) => e.code === 'ENOENT' && !(e instanceof ReaderStopped));
  });

  it('stops a running call on abort, drops a waiting one, and works after', async () => {
    const r = runner();
    const controller = new AbortController();
    const running = r.call('loop', {}, { ...subject, signal: controller.signal });
    const waiting = r.call('echo', { value: 1 }, { ...subject, signal: controller.signal });
    const after = r.call('echo', { value: 2 }, subject);
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const error = await stopped(running);
    assert.equal(error.reason, 'cancelled');
    assert.equal(error.message, 'model.onnx could not be read: the reader was stopped (cancelled)');
    assert.equal((await stopped(waiting)).reason, 'cancelled');
    assert.equal(await after, 2);
    assert.ok(performance.now() - started < 3000);
    await assert.rejects(r.call('echo', { value: 3 }, { ...subject, signal: AbortSignal.abort() }), ReaderStopped);
  });

  it('gives a cooperative reader the grace to stop on cancel and keeps its worker', async () => {
    const r = runner({ cancelGraceMs: 2000 });
    const before = await r.call('threadId', {}, subject);
    const controller = new AbortController();
    const call = r.call('waitForCancel', {}, { ...subject, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    assert.equal((await stopped(call)).reason, 'cancelled');
    assert.equal(await r.call('threadId', {}, subject), before);
  });

  it('ends waiting and running calls on dispose, and refuses calls after', async () => {
    const r = runner();
    const running = r.call('loop', {}, subject);
    const waiting = r.call('echo', { value: 1 }, subject);
    await new Promise((resolve) => setTimeout(resolve, 100));
    r.dispose();
    assert.equal((await stopped(running)).reason, 'disposed');
    assert.equal((await stopped(waiting)).reason, 'disposed');
    assert.equal((await stopped(r.call('echo', { value: 1 }, subject))).reason, 'disposed');
  });

  it('delivers the worker\'s events before its answer', async () => {
    const r = runner();
    const seen: number[] = [];
    assert.equal(await r.call('events', { count: 3 }, { ...subject, onEvent: (n) => seen.push(n) }), 3);
    assert.deepEqual(seen, [0, 1, 2]);
  });

  it('with two workers, a stuck call does not hold up another; calls with one affinity key share a worker', async () => {
    const r = runner({ maxWorkers: 2, limits: { memoryMb: 128, timeMs: 30_000 } });
    const controller = new AbortController();
    let stuckEnded = false;
    const stuck = stopped(r.call('loop', {}, { ...subject, signal: controller.signal })).finally(() => (stuckEnded = true));
    assert.equal(await r.call('echo', { value: 'free' }, subject), 'free');
    assert.equal(stuckEnded, false, 'answered by the other worker while the first is stuck');
    controller.abort();
    await stuck;
    const a = await r.call('threadId', {}, { ...subject, affinity: 'source-a' });
    const b = await r.call('threadId', {}, { ...subject, affinity: 'source-b' });
    assert.notEqual(a, b, 'keys are spread over the workers');
    assert.equal(await r.call('threadId', {}, { ...subject, affinity: 'source-a' }), a);
  });

  it('starts a worker per call when idleMs is 0', async () => {
    const r = runner({ idleMs: 0 });
    const first = await r.call('threadId', {}, subject);
    assert.notEqual(await r.call('threadId', {}, subject), first);
  });

  describe('file opens in a reader worker', () => {
    it('refuses a file that overran before, with the reason', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mle-opens-'));
      const file = join(dir, 'loss');
      writeFileSync(file, '1 0.5 0\n');
      const r = runner();
      assert.equal(await r.call('read', { path: file }, subject), '1 0.5 0\n');
      for (const async of [false, true]) {
        await assert.rejects(r.call('read', { path: file, refused: [[file, 'could not be read: the reader took longer than 20 s']], async }, subject), (e: Error & { code?: string }) => e.code === 'EREFUSED' && /took longer than 20 s/.test(e.message));
      }
    });

    it('does not block on a FIFO (a thread blocked in open(2) cannot be terminated)', async function () {
      if (process.platform === 'win32') this.skip();
      const fifo = join(mkdtempSync(join(tmpdir(), 'mle-fifo-')), 'model.onnx');
      execFileSync('mkfifo', [fifo]);
      const r = runner({ limits: { memoryMb: 128, timeMs: 3000 } });
      assert.equal(await r.call('read', { path: fifo }, subject), '');
      assert.equal(await r.call('read', { path: fifo, async: true }, subject), '');
    });
  });

  it('an idle warm worker does not keep a CLI process alive', () => {
    const program = `const { WorkerRunner } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'common', 'worker', 'workerRunner.ts'))});
const r = new WorkerRunner({ script: ${JSON.stringify(script)}, limits: { memoryMb: 64, timeMs: 5000 }, idleMs: 60000 });
r.call('echo', { value: 'done' }, { subject: 'x' }).then((v) => console.log(v));`;
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', program], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(child.stdout.trim(), 'done', child.stderr);
    assert.ok(performance.now() - started < 20_000, 'exited without waiting for the idle timeout');
  });
});
