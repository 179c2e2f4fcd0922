import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { LightningCsvLogs, parseMetricsCsv } from '../../src/tracking/lightningCsv';
import { stringify, parse as parseYaml } from 'yaml';
import { latestMetricLine, MlflowFileStore, parseFlatYaml, parseMetricLines } from '../../src/tracking/mlflowFileStore';
import type { ColumnSeries } from '../../src/tracking/columnSeries';
import { readTfEvents } from '../../src/tracking/tfevents';
import { readWandbFile } from '../../src/tracking/wandbDatastore';
import { WandbRunsDir } from '../../src/tracking/wandbRuns';
import { runBounded } from '../support/boundedWorker';
import { FOLDER_ATTACKS } from '../support/folderFuzzCases';
import { SQLITE_ATTACKS } from '../support/sqliteFuzzCases';
import { wandbConfigRecord, wandbFile, wandbHistoryRecord, wandbRunRecord, writeLightningVersion, writeMlflowExperiment } from '../support/trackingFixtures';

// Every reader fed mutated real files (bytes flipped, cut, spliced, inserted): no uncaught throw,
// no hang (each read is timed), bounded output.

const corpusFile = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'tfevents', 'runs', 'duplicate_steps', 'run_1', 'events.out.tfevents.1622966509.janoshs-mbp.lan.86059.0');
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** A mutation of `base`: some bytes flipped, a cut, a spliced-in chunk of itself, random bytes inserted. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      flips: fc.array(fc.record({ at: fc.nat(base.length - 1), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 8 }),
      cut: fc.option(fc.nat(base.length), { nil: undefined }),
      insertAt: fc.option(fc.nat(base.length), { nil: undefined }),
      insert: fc.uint8Array({ maxLength: 64 }),
      spliceFrom: fc.nat(base.length - 1),
    })
    .map(({ flips, cut, insertAt, insert, spliceFrom }) => {
      let out = Uint8Array.from(base);
      for (const { at, xor } of flips) out[at] = out[at]! ^ xor;
      if (insertAt !== undefined) out = Uint8Array.from([...out.subarray(0, insertAt), ...insert, ...out.subarray(spliceFrom, spliceFrom + 100), ...out.subarray(insertAt)]);
      if (cut !== undefined) out = out.subarray(0, cut);
      return out;
    });
}

function timed<T>(fn: () => T, limitMs = 2000): T {
  const start = performance.now();
  const result = fn();
  assert.ok(performance.now() - start < limitMs, `a read took ${Math.round(performance.now() - start)} ms`);
  return result;
}

describe('tracking readers under fuzzing (mutated real files)', function () {
  this.timeout(120_000);

  it('TensorBoard: mutated event files never throw and never yield more points than records', () => {
    const base = readFileSync(corpusFile);
    fc.assert(
      fc.property(mutated(base), (data) => {
        const read = timed(() => readTfEvents(data));
        assert.ok(read.consumedBytes <= data.length);
        assert.ok(read.scalars.length <= read.records * 4);
        // The Experiments view's path (the hot loop into columns) agrees with the general decoder.
        const columns = new Map<string, ColumnSeries>();
        const fast = readTfEvents(data, 0, new Map(), columns);
        assert.deepEqual([fast.records, fast.consumedBytes, fast.problems, fast.halted], [read.records, read.consumedBytes, read.problems, read.halted]);
        const byTag = new Map<string, number[]>();
        for (const s of read.scalars) byTag.set(s.tag, [...(byTag.get(s.tag) ?? []), s.step, s.wallTime * 1000, s.value]);
        assert.deepEqual(new Map([...columns].map(([tag, series]) => [tag, series.points().flatMap((p) => [p.step, p.time ?? NaN, p.value])])), byTag);
      }),
      { numRuns: RUNS },
    );
  });

  it('W&B: mutated .wandb files never throw; reading in two parts equals reading at once', () => {
    const base = wandbFile([wandbRunRecord('r1', 'p', 'n', 1), wandbConfigRecord({ lr: 0.1 }), ...Array.from({ length: 400 }, (_, i) => wandbHistoryRecord(i, { loss: 1 / (i + 1) }, i))]);
    fc.assert(
      fc.property(mutated(base), fc.nat(), (data, splitSeed) => {
        const whole = timed(() => readWandbFile(data));
        // After damage the reader resumes at the next 32 KiB block, which may lie past what is written yet.
        assert.ok(whole.consumedBytes <= data.length || whole.consumedBytes % 32768 === 0);
        const split = splitSeed % (data.length + 1);
        const first = readWandbFile(data.subarray(0, split));
        const both = readWandbFile(data, first, first.consumedBytes || 0);
        if (first.consumedBytes > 0) assert.equal(both.history.length, whole.history.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('the fast meta.yaml reader agrees with a YAML parser on every flat mapping PyYAML-style dumps produce', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.constant(''), fc.double({ noNaN: true }), fc.constant([]), fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[-+]?[0-9.eExo]{1,8}$/));
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/), scalar), fc.boolean(), (obj, single) => {
        const text = stringify(obj, { singleQuote: single, lineWidth: 0 });
        assert.deepEqual(parseFlatYaml(text), parseYaml(text) ?? {});
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('the fast latest-value scan finds the same latest point as parsing every metric line', () => {
    const line = fc.oneof(
      fc.tuple(fc.nat(), fc.oneof(fc.double(), fc.constantFrom('nan', 'inf', '-inf', '1e-5', '-0.0')), fc.option(fc.integer({ min: -5, max: 1000 }), { nil: undefined })).map(([t, v, s]) => `${t} ${typeof v === 'number' ? String(v) : v}${s === undefined ? '' : ` ${s}`}`),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const text = lines.join('\n') + '\n';
        const { points, bad } = parseMetricLines(text);
        const expected = points.reduce<(typeof points)[number] | undefined>((best, p) => (!best || p.step > best.step || (p.step === best.step && p.time! >= best.time!) ? p : best), undefined);
        const fast = latestMetricLine(text);
        assert.ok(fast.bad <= bad, 'broken values on lines that are not the latest may go uncounted');
        assert.deepEqual(fast.latest, expected);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('MLflow metric lines and Lightning CSV: any text parses without throwing', () => {
    const mlflowBase = '1721450907225 0.8731 12\n1721450907226 nan 13\n1721450907227 0.5\n';
    const csvBase = readFileSync(join(__dirname, '..', '..', 'examples', 'lightning_logs', 'version_0', 'metrics.csv'));
    fc.assert(
      fc.property(mutated(Buffer.from(mlflowBase)), mutated(csvBase), fc.string({ maxLength: 200 }), (m, c, s) => {
        timed(() => parseMetricLines(Buffer.from(m).toString('utf8') + s));
        const parsed = timed(() => parseMetricsCsv(Buffer.from(c).toString('utf8')));
        for (const points of parsed.series.values()) assert.ok(points.every((p) => Number.isFinite(p.step)));
      }),
      { numRuns: RUNS },
    );
  });

  it('folder readers: mutated meta.yaml, hparams.yaml, config.yaml and summaries still list the run, marked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-fuzz-'));
    try {
      const exp = writeMlflowExperiment(join(dir, 'mlruns'), '0', 'Default', [{ id: 'a'.repeat(32), name: 'a', metrics: { loss: [1, 2] } }]);
      const meta = readFileSync(join(exp, 'a'.repeat(32), 'meta.yaml'));
      const lightning = writeLightningVersion(join(dir, 'lightning_logs'), 0, { lr: 0.1, nested: { a: [1, 2] } }, 5, () => 1);
      const hparams = readFileSync(join(lightning, 'hparams.yaml'));
      const wandbRun = join(dir, 'wandb', 'run-20261126_101500-abc');
      mkdirSync(join(wandbRun, 'files'), { recursive: true });
      const config = Buffer.from('wandb_version: 1\n\nlr:\n  desc: null\n  value: 0.1\n');
      const summary = Buffer.from('{"loss": 0.5, "_step": 3}');
      const store = new MlflowFileStore(join(dir, 'mlruns'));
      const logs = new LightningCsvLogs(join(dir, 'lightning_logs'));
      const wandb = new WandbRunsDir(join(dir, 'wandb'));
      await fc.assert(
        fc.asyncProperty(mutated(meta), mutated(hparams), mutated(config), mutated(summary), async (m, h, c, s) => {
          writeFileSync(join(exp, 'a'.repeat(32), 'meta.yaml'), m);
          writeFileSync(join(lightning, 'hparams.yaml'), h);
          writeFileSync(join(wandbRun, 'files', 'config.yaml'), c);
          writeFileSync(join(wandbRun, 'files', 'wandb-summary.json'), s);
          const [a, b, w] = await Promise.all([store.load(), logs.load(), wandb.load()]);
          assert.equal(a.experiments.flatMap((e) => e.runs).length, 1);
          assert.equal(b.experiments.flatMap((e) => e.runs).length, 1);
          assert.equal(w.experiments.flatMap((e) => e.runs).length, 1);
        }),
        { numRuns: Math.min(RUNS, 150) },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Cases that could hang or balloon run in a worker thread with a capped heap and a watchdog per
// case (test/support/boundedWorker.ts): a failure names the case instead of stalling the suite.
describe('tracking readers against crafted attacks and mutated real files (bounded per case)', function () {
  this.timeout(180_000);
  const budget = { perCaseMs: 2000, maxHeapMb: 256, maxArrayBuffersMb: 256 };

  it('SQLite: crafted attacks (overflow cycles, shared chains, overlapping cells, self-listing and deep b-trees, huge counts, quadratic schema text) each end in a clear error', async () => {
    assert.equal(await runBounded(require.resolve('../support/sqliteFuzzCases'), 'sqliteAttacks', {}, budget), SQLITE_ATTACKS.length);
  });

  it('SQLite: mutated mlflow.db and -wal files written by real SQLite load, or say what is wrong in plain words', async () => {
    assert.equal(await runBounded(require.resolve('../support/sqliteFuzzCases'), 'sqliteMutations', { runs: RUNS }, budget), RUNS);
  });

  it('folders: hostile Lightning, MLflow and W&B files (zeros with no newline, huge side files, deep YAML and JSON, alias bombs, endless records) give a listed run with a plain problem', async () => {
    assert.equal(await runBounded(require.resolve('../support/folderFuzzCases'), 'folderAttacks', {}, { ...budget, perCaseMs: 5000 }), FOLDER_ATTACKS.length);
  });

  it('Lightning: metrics.csv read as a stream into columns, whole or in appended parts, holds what parsing the whole text holds', async () => {
    assert.equal(await runBounded(require.resolve('../support/folderFuzzCases'), 'csvStreaming', { runs: RUNS }, budget), RUNS);
  });

  it('MLflow: a metric file streamed in chunks gives what parsing its whole text gives', async () => {
    assert.equal(await runBounded(require.resolve('../support/folderFuzzCases'), 'metricFileStreaming', { runs: RUNS }, budget), RUNS);
  });

  it('Lightning: a 9 MB metrics.csv reads within a 64 MB heap (columns of doubles, not strings and objects)', async () => {
    assert.equal(await runBounded(require.resolve('../support/folderFuzzCases'), 'csvMemory', {}, { perCaseMs: 20_000, maxHeapMb: 64, maxArrayBuffersMb: 256 }), 2);
  });
});
