import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { ReaderStopped } from '../../src/common/worker/readerStopped';
import { ModelFormatError } from '../../src/models/fileWindow';
import { ModelReader } from '../../src/models/modelReader';
import { RunCatalog } from '../../src/tracking/runCatalog';
import { TrackingReaders } from '../../src/tracking/workerSources';
import { buildWorker } from '../support/buildWorker';
import { writeManyNodeOnnx, writeNegativeLengthOnnx } from '../support/hostileModels';
import { writeMlflowExperiment } from '../support/trackingFixtures';

const root = join(__dirname, '..', '..');
const simpleCnn = join(root, 'examples', 'models', 'simple_cnn.onnx');

/**
 * Hostile files through the paths the editor uses (the model viewer's ModelReader, the
 * Experiments catalog's TrackingReaders) with the real reader workers, bundled as the build
 * bundles dist/workers/: each ends in a clear message within its budget, the host thread is never
 * blocked, and the next read works.
 */
describe('readers off the extension host thread, with hostile files', function () {
  this.timeout(120_000);
  let dir: string;
  let modelsWorker: string;
  const disposables: { dispose(): void }[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-hostile-'));
    modelsWorker = buildWorker(join(root, 'src', 'models', 'lazy', 'modelsWorker.ts'));
  });
  afterEach(() => {
    for (const d of disposables.splice(0)) d.dispose();
  });
  const keep = <T extends { dispose(): void }>(d: T): T => (disposables.push(d), d);

  /** The host's event loop delay while `work` runs: a reader on this thread would show up here. */
  async function hostDelayMs<T>(work: () => Promise<T>): Promise<{ value: T; maxMs: number }> {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    try {
      return { value: await work(), maxMs: delay.max / 1e6 };
    } finally {
      delay.disable();
    }
  }

  it('a 4 KB ONNX with a negative length (a reader loop on the host before) ends within its budget with a clear error; the next model reads', async () => {
    const hostile = join(dir, 'negative.onnx');
    writeNegativeLengthOnnx(hostile);
    const reader = keep(new ModelReader({ script: modelsWorker, limits: { memoryMb: 512, timeMs: 2000 } }));
    const started = performance.now();
    const { value: error, maxMs } = await hostDelayMs(() => reader.inspect(hostile).then(() => undefined, (e: unknown) => e));
    const took = performance.now() - started;
    // Today the reader loops and is stopped at the budget; a reader that refuses the length says so at once.
    if (error instanceof ReaderStopped) {
      assert.equal(error.message, 'negative.onnx could not be read: the reader took longer than 2 s');
      assert.ok(took >= 1900, `stopped after ${took} ms`);
    } else assert.ok(error instanceof ModelFormatError, `a clear error, not ${String(error)}`);
    assert.ok(took < 10_000, `took ${took} ms`);
    assert.ok(maxMs < 500, `the host's event loop was blocked for ${maxMs} ms`);
    const info = await reader.inspect(simpleCnn);
    assert.equal(info.format, 'onnx');
    assert.deepEqual(Object.keys(info.operators ?? {}), ['Conv', 'MaxPool', 'Relu', 'Gemm', 'Reshape']);
  });

  it('a model that takes longer than the budget to read is stopped with the budget in the message', async () => {
    const big = join(dir, 'many_nodes.onnx');
    writeManyNodeOnnx(big, 60_000);
    const generous = keep(new ModelReader({ script: modelsWorker, limits: { memoryMb: 512, timeMs: 120_000 } }));
    await generous.inspect(simpleCnn); // the worker started: what follows is the read alone
    let started = performance.now();
    const info = await generous.inspect(big);
    const readMs = performance.now() - started;
    assert.equal(info.operators?.Relu, 60_000);
    const budget = Math.max(5, Math.round(readMs / 5));
    const tight = keep(new ModelReader({ script: modelsWorker, limits: { memoryMb: 512, timeMs: budget } }));
    await tight.inspect(simpleCnn);
    started = performance.now();
    const error = await tight.inspect(big).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ReaderStopped, `stopped, not ${String(error)} (read in ${readMs} ms, budget ${budget} ms)`);
    assert.equal(error.reason, 'time');
    assert.match(error.message, /^many_nodes\.onnx could not be read: the reader took longer than [\d.]+ s$/);
    assert.ok(performance.now() - started < readMs, 'before the read would have finished');
  });

  it('a reader stuck on a file (a test hook that loops) is stopped; closing the viewer (abort) stops it at once', async () => {
    const stuck = join(dir, 'model.onnx.hang');
    cpSync(simpleCnn, stuck);
    const reader = keep(new ModelReader({ script: buildWorker(join(root, 'test', 'fixtures', 'workers', 'modelsHangWorker.ts')), limits: { memoryMb: 256, timeMs: 1000 } }));
    const error = await reader.inspect(stuck).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ReaderStopped && error.reason === 'time', String(error));
    assert.equal(error.message, 'model.onnx.hang could not be read: the reader took longer than 1 s');
    const closed = new AbortController();
    const pending = reader.inspect(stuck, closed.signal).then(() => undefined, (e: unknown) => e);
    setTimeout(() => closed.abort(), 100);
    const started = performance.now();
    const cancelled = await pending;
    assert.ok(cancelled instanceof ReaderStopped && cancelled.reason === 'cancelled', String(cancelled));
    assert.ok(performance.now() - started < 800);
    assert.equal((await reader.inspect(simpleCnn)).format, 'onnx');
  });

  it('ml-engineer inspect reads through the worker: the model as before, a damaged file as exit 1 with the reason', async () => {
    const io = (): { out: string; err: string; io: Parameters<typeof runCli>[1] } => {
      const r = { out: '', err: '', io: undefined as unknown as Parameters<typeof runCli>[1] };
      r.io = { out: (t) => (r.out += t), err: (t) => (r.err += t), env: {}, cwd: root };
      return r;
    };
    const ok = io();
    assert.equal(await runCli(['inspect', simpleCnn], ok.io, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal }), 0, ok.err);
    assert.match(ok.out, /format: onnx/);
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    const bad = io();
    assert.equal(await runCli(['inspect', empty], bad.io, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal }), 1);
    assert.match(bad.err, /^ml-engineer inspect: .*empty\.onnx: the file is empty\n$/);
  });

  describe('the Experiments catalog', () => {
    let hangWorker: string;
    before(() => {
      hangWorker = buildWorker(join(root, 'test', 'fixtures', 'workers', 'trackingHangWorker.ts'));
    });

    it('a file in mlruns/ the reader is stuck on marks that run unreadable, with the reason; the other runs and sources load, and the host is never blocked', async () => {
      const workspace = mkdtempSync(join(tmpdir(), 'mle-hostile-runs-'));
      const mlruns = join(workspace, 'mlruns');
      const experiment = writeMlflowExperiment(mlruns, '1', 'hostile', [
        { id: 'aaaa0000000000000000000000000001', name: 'good-one', metrics: { loss: [0.9, 0.5] } },
        { id: 'aaaa0000000000000000000000000002', name: 'the-hostile-one', metrics: { loss: [0.8, 0.4] } },
        { id: 'aaaa0000000000000000000000000003', name: 'good-two', metrics: { loss: [0.7, 0.3] } },
      ]);
      const hostileFile = join(experiment, 'aaaa0000000000000000000000000002', 'metrics', 'loss.hang');
      renameSync(join(experiment, 'aaaa0000000000000000000000000002', 'metrics', 'loss'), hostileFile);
      cpSync(join(root, 'examples', 'runs', 'tensorboard'), join(workspace, 'tensorboard'), { recursive: true });
      const readers = keep(new TrackingReaders({ script: hangWorker, limits: { memoryMb: 256, stallMs: 600, timeMs: 60_000 } }));
      const catalog = keep(new RunCatalog());
      const { sources } = await readers.discover(workspace);
      assert.deepEqual(sources.map((s) => s.kind).sort(), ['mlflow', 'tensorboard']);
      catalog.setSources(sources);
      const { maxMs } = await hostDelayMs(() => catalog.loadAll());
      assert.ok(maxMs < 500, `the host's event loop was blocked for ${maxMs} ms`);
      const byName = new Map(catalog.runs().map((r) => [r.name, r]));
      const hostileRun = byName.get('the-hostile-one');
      assert.ok(hostileRun, 'the run is still listed');
      assert.deepEqual(hostileRun.problems, ['metrics/loss.hang: could not be read: the reader was busy for more than 0.6 s without a break']);
      assert.equal(byName.get('good-one')?.metrics[0]?.last, 0.5);
      assert.equal(byName.get('good-two')?.metrics[0]?.last, 0.3);
      assert.ok(catalog.runs().some((r) => r.source === 'tensorboard' && r.metrics.length > 0), 'the TensorBoard source loaded too');
      assert.deepEqual(catalog.sources().flatMap((e) => e.snapshot.problems), []);
      // The refusal is remembered: the next load (a file changed) does not wait on the file again.
      const started = performance.now();
      await catalog.load(sources.find((s) => s.kind === 'mlflow')!.id);
      assert.ok(performance.now() - started < 600, 'no second stall');
      // Curves still come (a worker that restarted reads its source again first).
      const tb = catalog.runs().find((r) => r.source === 'tensorboard' && r.metrics.length > 0)!;
      const points = await catalog.history(tb, tb.metrics[0]!.key);
      assert.ok(points.length > 0);
      assert.equal((await catalog.history(byName.get('good-one')!, 'loss')).length, 2);
    });

    it('a run whose metric file stopped the reader: that history is refused with the reason, its other curves still come', async () => {
      const mlruns = join(mkdtempSync(join(tmpdir(), 'mle-hostile-history-')), 'mlruns');
      writeMlflowExperiment(mlruns, '1', 'curves', [{ id: 'bbbb0000000000000000000000000001', name: 'run', metrics: { 'loss.hang': [1, 2], acc: [0.5, 0.6] } }]);
      const readers = keep(new TrackingReaders({ script: hangWorker, limits: { memoryMb: 256, stallMs: 600, timeMs: 60_000 } }));
      const catalog = keep(new RunCatalog());
      catalog.setSources(await readers.sourcesForPath(mlruns));
      await catalog.loadAll();
      // The listing opens each metric file (for its tail): the stuck one is refused from then on.
      const run = catalog.runs()[0]!;
      assert.deepEqual(run.problems, ['metrics/loss.hang: could not be read: the reader was busy for more than 0.6 s without a break']);
      await assert.rejects(catalog.history(run, 'loss.hang'), /could not be read: the reader was busy for more than 0\.6 s without a break/);
      assert.equal((await catalog.history(run, 'acc')).length, 2);
    });
  });
});
