import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writer } from 'protobufjs/minimal';
import type { ColumnSeries } from '../../src/tracking/columnSeries';
import { consumeFrom } from '../../src/tracking/fileReads';
import { readTfEvents } from '../../src/tracking/tfevents';
import { TrackingReaders } from '../../src/tracking/workerSources';
import { BoundedWorker } from '../support/boundedWorker';
import { tfRecord } from '../support/hostileFiles';
import { wandbFile, wandbHistoryRecord, wandbRunRecord, writeMlflowExperiment } from '../support/trackingFixtures';

// Hostile files through the real readers, measured where a reader worker's budget does not look:
// resourceLimits caps a worker's V8 heap, not its Buffers and typed arrays, which live in the
// extension host's process all the same. The cases run in a bounded worker (attackCases.ts).

const cases = require.resolve('../support/attackCases');

describe('attack: reader allocations the heap limit does not count', function () {
  this.timeout(120_000);
  const worker = new BoundedWorker({ perCaseMs: 60_000, maxHeapMb: 128 });
  after(() => worker.close());

  it('a TensorBoard record claiming 255 MB over a sparse hole costs about its size once, not 1.3 GB of doubling copies', async () => {
    const outcome = await worker.run<{ peakMb: number; problems: string[] }>(cases, 'claimedTfRecord', { claimMb: 255, fileMb: 1024 }, { whole: true });
    assert.equal(outcome.outcome, 'done', JSON.stringify(outcome));
    if (outcome.outcome !== 'done') return;
    // The record is read to check its CRC (the zeros fail it); then the zeros after it stop the read.
    assert.match(outcome.value.problems.join('\n'), /bad data checksum in the record at byte 0/);
    assert.ok(outcome.value.peakMb < 400, `array buffers peaked at ${outcome.value.peakMb} MB for a 255 MB record`);
  });
});

describe('attack: a record larger than a chunk, read at its claimed size', () => {
  it('reads the same points as a whole read, whatever the chunk, when the reader says the size it needs', async () => {
    // A real scalar log (torch.utils.tensorboard) around a 2.5 MB graph_def record: larger than a
    // chunk and than the carry room, so it is read into one buffer of its size.
    const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'tfevents', 'runs');
    const strictDir = readdirSync(corpus, { recursive: true, encoding: 'utf8' }).find((f) => f.includes('strict') && basename(f).startsWith('events.out.tfevents.'));
    assert.ok(strictDir, 'the corpus has the strict run');
    const strict = readFileSync(join(corpus, strictDir));
    const graph = Writer.create().uint32((1 << 3) | 1).double(1.7e9).uint32((4 << 3) | 2).bytes(Buffer.alloc(2_500_000, 7)).finish();
    const data = Buffer.concat([strict, tfRecord(graph), strict]);
    const whole = readTfEvents(data);
    const dir = mkdtempSync(join(tmpdir(), 'mle-attack-chunks-'));
    try {
      const file = join(dir, 'events.out.tfevents.1');
      writeFileSync(file, data);
      for (const chunk of [4096, 65536, 1024 * 1024 + 7]) {
        const columns = new Map<string, ColumnSeries>();
        const read = await consumeFrom(
          file,
          0,
          (bytes) => {
            const r = readTfEvents(bytes, 0, new Map(), columns);
            return { used: r.consumedBytes, ...(r.pendingRecordBytes === undefined ? {} : { need: r.pendingRecordBytes }) };
          },
          chunk,
        );
        assert.equal(read.used, data.length, `chunk ${chunk}`);
        const points = [...columns.values()].reduce((n, c) => n + c.points().length, 0);
        assert.equal(points, whole.scalars.length, `chunk ${chunk}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('attack: sparse files through the Experiments catalog\'s reader workers', function () {
  this.timeout(90_000);

  it('a metric file claiming a terabyte (a few KB on disk) is refused by its size, not read for the time limit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mle-attack-sparse-'));
    // The tracking workers' limits, with 20 s instead of 600 s for the whole call: reading the
    // hole at ~250 MB/s would take over an hour, and holds every read of the source meanwhile.
    const readers = new TrackingReaders({ limits: { memoryMb: 256, stallMs: 20_000, timeMs: 20_000 } });
    try {
      writeMlflowExperiment(join(root, 'mlruns'), '0', 'exp', [{ id: 'r1', name: 'one', metrics: { loss: [3, 2, 1] } }]);
      const fd = openSync(join(root, 'mlruns', '0', 'r1', 'metrics', 'huge'), 'w');
      writeSync(fd, '1700000000000 1.5 0\n');
      ftruncateSync(fd, 2 ** 40);
      writeSync(fd, '\n1700000000001 0.5 7\n', 2 ** 40 - 21);
      closeSync(fd);
      const [source] = (await readers.discover(root)).sources;
      const snapshot = await source!.load();
      const run = snapshot.experiments[0]!.runs[0]!;
      assert.deepEqual(run.metrics.map((m) => m.key), ['huge', 'loss'], 'the latest value comes from the tail, as before');
      const started = performance.now();
      await assert.rejects(source!.history(run, 'huge'), /the metric file is 1(\.0+)? TB, more than the 1(\.0+)? GB read/);
      assert.ok(performance.now() - started < 10_000);
      assert.equal((await source!.history(run, 'loss')).length, 3, 'the source still reads its other metrics');
    } finally {
      readers.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a W&B datastore followed by a terabyte of zeroed blocks loads its records and stops at the zeros', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mle-attack-sparse-wandb-'));
    const readers = new TrackingReaders({ limits: { memoryMb: 256, stallMs: 20_000, timeMs: 20_000 } });
    try {
      const dir = join(root, 'wandb', 'run-20240101_000000-abc123');
      mkdirSync(join(dir, 'files'), { recursive: true });
      const records = wandbFile([wandbRunRecord('abc123', 'proj', 'sparse-run', 1_700_000_000), ...[3, 2, 1].map((loss, step) => wandbHistoryRecord(step, { loss }, 1_700_000_000 + step))]);
      const fd = openSync(join(dir, 'run-abc123.wandb'), 'w');
      writeSync(fd, records);
      ftruncateSync(fd, 2 ** 40);
      closeSync(fd);
      const [source] = (await readers.discover(root)).sources;
      const run = (await source!.load()).experiments[0]?.runs[0];
      assert.equal(run?.name, 'sparse-run');
      assert.deepEqual(run.metrics.map((m) => [m.key, m.last]), [['loss', 1]]);
      assert.match(run.problems.join('\n'), /more than 1 MB of zeros at byte \d+: space not yet written, or damage; what follows is not read/);
      assert.equal((await source!.history(run, 'loss')).length, 3);
    } finally {
      readers.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
