import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { LightningCsvLogs, parseMetricsCsv, readMetricsCsv } from '../../src/tracking/lightningCsv';
import { MlflowFileStore, parseMetricLines, readMetricFile } from '../../src/tracking/mlflowFileStore';
import type { RunRecord, SourceSnapshot } from '../../src/tracking/runModel';
import { WandbRunsDir } from '../../src/tracking/wandbRuns';
import type { Tick } from './boundedWorker';
import { assertPlainMessage } from './sqliteFuzzCases';
import { writeLightningVersion, writeMlflowExperiment, writeWandbRun } from './trackingFixtures';

// The folder readers' cases for test/unit/trackingFuzz.test.ts, run in a bounded worker
// (test/support/boundedWorker.ts): hostile files in real run folders written as the tools write
// them (test/support/trackingFixtures.ts), and streamed reads checked against whole-text parsing.

const hex = (c: string): string => c.repeat(32);
const runsOf = (s: SourceSnapshot): RunRecord[] => s.experiments.flatMap((e) => e.runs);
const MB = 1024 * 1024;

/** A file of `bytes` zeros that takes no disk (sparse): what a crashed writer or a preallocating one leaves. */
function zeros(path: string, bytes: number): void {
  writeFileSync(path, '');
  truncateSync(path, bytes);
}

function oneRun(snapshot: SourceSnapshot): RunRecord {
  const runs = runsOf(snapshot);
  assert.equal(runs.length, 1, `one run listed (problems: ${snapshot.problems.join('; ')})`);
  for (const p of [...snapshot.problems, ...runs[0]!.problems]) assertPlainMessage(p);
  return runs[0]!;
}

/** Nesting that overflows a recursive parser's stack (the yaml package aborts the process near 100,000 levels). */
const deepFlow = (levels: number): string => `a: ${'['.repeat(levels)}${']'.repeat(levels)}\n`;
const aliasBomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`), ''].join('\n');

type Attack = (dir: string) => Promise<void>;

const ATTACKS: Record<string, Attack> = {
  'Lightning: a 64 MB metrics.csv of zeros with no newline': async (dir) => {
    const v = writeLightningVersion(join(dir, 'logs'), 0, { lr: 1 }, 5, () => 1);
    zeros(join(v, 'metrics.csv'), 64 * MB);
    const run = oneRun(await new LightningCsvLogs(join(dir, 'logs')).load());
    assert.match(run.problems.join(), /a line longer than 1 MB: not read/);
  },
  'Lightning: an unclosed quote, a 30,000-column header and a 2 MB cell': async (dir) => {
    const logs = join(dir, 'logs');
    const v = writeLightningVersion(logs, 0, {}, 5, () => 1);
    writeFileSync(join(v, 'metrics.csv'), `step,loss\n0,1\n1,"2\n2,3\n`.repeat(3));
    assert.match(oneRun(await new LightningCsvLogs(logs).load()).problems.join(), /metrics\.csv: /);
    writeFileSync(join(v, 'metrics.csv'), `${Array.from({ length: 30_000 }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(29_999)}1\n`);
    assert.equal(oneRun(await new LightningCsvLogs(logs).load()).metrics.length, 30_000);
    writeFileSync(join(v, 'metrics.csv'), `step,loss\n0,"${'9'.repeat(2 * MB)}"\n1,0.5\n`);
    assert.match(oneRun(await new LightningCsvLogs(logs).load()).problems.join(), /metrics\.csv: /);
  },
  'Lightning: hparams.yaml nested 200,000 levels, a YAML alias bomb, 64 MB of zeros, a self-containing alias': async (dir) => {
    const logs = join(dir, 'logs');
    const v = writeLightningVersion(logs, 0, {}, 5, () => 1);
    const hparams = join(v, 'hparams.yaml');
    writeFileSync(hparams, deepFlow(200_000));
    assert.match(oneRun(await new LightningCsvLogs(logs).load()).problems.join(), /hparams\.yaml: nested \d+ levels deep \(more than 100\): not read/);
    writeFileSync(hparams, aliasBomb);
    assert.match(oneRun(await new LightningCsvLogs(logs).load()).problems.join(), /hparams\.yaml: (too many aliases|.*alias)/i);
    zeros(hparams, 64 * MB);
    assert.match(oneRun(await new LightningCsvLogs(logs).load()).problems.join(), /hparams\.yaml: \d+ bytes, more than the \d+ expected/);
    writeFileSync(hparams, 'model: &m\n  layers: 2\n  self: *m\n');
    const run = oneRun(await new LightningCsvLogs(logs).load());
    assert.equal(run.params['model.layers'], '2');
  },
  'MLflow: a 64 MB metric file of zeros, a 1 GB meta.yaml and params, a deep experiment meta.yaml': async (dir) => {
    const mlruns = join(dir, 'mlruns');
    const exp = writeMlflowExperiment(mlruns, '0', 'Default', [{ id: hex('a'), name: 'a', params: { lr: '1' }, metrics: { loss: [1, 2] } }]);
    const run = join(exp, hex('a'));
    zeros(join(run, 'metrics', 'zeros'), 64 * MB);
    zeros(join(run, 'params', 'huge'), 1024 * MB);
    const store = new MlflowFileStore(mlruns);
    const listed = oneRun(await store.load());
    assert.match(listed.params.huge!, /cut: over 64 KB/);
    assert.deepEqual(await store.history(listed, 'zeros'), []);
    zeros(join(run, 'meta.yaml'), 1024 * MB);
    assert.match(oneRun(await store.load()).problems.join(), /meta\.yaml: more than 64 KB/);
    writeFileSync(join(exp, 'meta.yaml'), deepFlow(300_000));
    const snapshot = await store.load();
    assert.match(snapshot.problems.join(), /meta\.yaml: nested \d+ levels deep/);
    snapshot.problems.forEach(assertPlainMessage);
  },
  'W&B: config.yaml nested 200,000 levels or an alias bomb, a 1 GB summary, deep and odd JSON, a 64 MB .wandb of zeros': async (dir) => {
    const wandb = join(dir, 'wandb');
    const run = writeWandbRun(wandb, { runId: 'abc', project: 'p', name: 'n', steps: 3, exitCode: 0, config: { lr: 0.1 } });
    const source = new WandbRunsDir(wandb);
    writeFileSync(join(run, 'files', 'config.yaml'), deepFlow(200_000));
    assert.match(oneRun(await source.load()).problems.join(), /config\.yaml: nested \d+ levels deep/);
    writeFileSync(join(run, 'files', 'config.yaml'), aliasBomb);
    assert.match(oneRun(await source.load()).problems.join(), /config\.yaml: .*alias/i);
    zeros(join(run, 'files', 'wandb-summary.json'), 1024 * MB);
    assert.match(oneRun(await source.load()).problems.join(), /wandb-summary\.json: \d+ bytes, more than/);
    writeFileSync(join(run, 'files', 'wandb-summary.json'), `{"deep": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}, "best_acc": 0.5}`);
    assert.match(oneRun(await source.load()).problems.join(), /wandb-summary\.json: nested \d+ levels deep/);
    writeFileSync(join(run, 'files', 'wandb-summary.json'), `{"deep": ${'['.repeat(90)}${']'.repeat(90)}, "best_acc": 0.5}`);
    writeFileSync(join(run, 'files', 'wandb-metadata.json'), '{"git": "not a mapping", "host": {"a": 1}, "os": ["x"], "gpu_count": null}');
    writeFileSync(join(run, 'files', 'config.yaml'), `lr:\n  value: ${'['.repeat(90)}1${']'.repeat(90)}\nbatch:\n  value: {value: 3}\nlist: [1, 2]\n`);
    const odd = oneRun(await source.load());
    assert.equal(odd.metrics.find((m) => m.key === 'best_acc')?.last, 0.5);
    assert.equal(odd.tags.host, undefined);
    assert.equal(odd.params['batch.value'], '3');
    assert.equal(odd.params.list, '[1,2]');
    zeros(join(run, 'run-abc.wandb'), 64 * MB);
    oneRun(await new WandbRunsDir(wandb, 'w', 1024 * 1024).load());
  },
  'W&B: a .wandb whose one record chains fragments through 100 MB': async (dir) => {
    const wandb = join(dir, 'wandb');
    const run = writeWandbRun(wandb, { runId: 'abc', project: 'p', name: 'n', steps: 3, config: {} });
    // A FIRST fragment, then MIDDLE fragments filling every following block: a record that never ends.
    const block = Buffer.alloc(32768);
    block.writeUInt16LE(32768 - 7, 4);
    block[6] = 3;
    const file = join(run, 'run-abc.wandb');
    const head = readFileSync(file).subarray(0, 7 + 32768 - 7);
    writeFileSync(file, head);
    for (let i = 0; i < 100 * 32; i++) appendFileSync(file, block);
    oneRun(await new WandbRunsDir(wandb, 'w', 1024 * 1024).load());
  },
};

export const FOLDER_ATTACKS = Object.keys(ATTACKS);

export async function folderAttacks(_args: unknown, tick: Tick): Promise<void> {
  for (const [name, attack] of Object.entries(ATTACKS)) {
    tick(name);
    const dir = mkdtempSync(join(tmpdir(), 'mle-folder-attack-'));
    try {
      await attack(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Mutated metrics.csv text: cells blanked or garbled, quotes and CRs inserted, rows cut. */
const csvText = fc
  .record({
    columns: fc.array(fc.oneof(fc.constantFrom('step', 'epoch', 'loss', 'val_acc', 'constructor', '__proto__', 'a,b', 'x"y'), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 6 }),
    rows: fc.array(fc.array(fc.oneof(fc.constant(''), fc.double().map(String), fc.nat(1000).map(String), fc.constantFrom('nan', 'inf', '-inf', 'tensor(1.)', '"1,5"', '"', '\r'), fc.string({ maxLength: 4 })), { maxLength: 7 }), { maxLength: 60 }),
    cut: fc.nat(),
  })
  .map(({ columns, rows, cut }) => {
    const quote = (c: string): string => (/[",\r\n]/.test(c) && !c.startsWith('"') ? `"${c.replace(/"/g, '""')}"` : c);
    const text = [columns.map(quote).join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
    return text.slice(0, text.length - (cut % 20));
  });

/** The streamed, columnar read of metrics.csv (whole or in appended parts) holds what parsing its whole text holds. */
export async function csvStreaming(args: { runs: number }, tick: Tick): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-csv-fuzz-'));
  const path = join(dir, 'metrics.csv');
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(csvText, fc.nat(), async (text, split) => {
        tick(`metrics.csv ${n++}`);
        const expected = parseMetricsCsv(text);
        writeFileSync(path, text);
        const whole = await readMetricsCsv(path);
        const at = split % (text.length + 1);
        writeFileSync(path, text.slice(0, at));
        const first = await readMetricsCsv(path);
        writeFileSync(path, text);
        const parts = await readMetricsCsv(path, first);
        for (const read of [whole, parts]) {
          const got = new Map([...read.columns.series].map(([k, s]) => [k, s.points()]));
          if (read.problems.length > 0 || expected.problems.some((p) => !/unreadable/.test(p))) continue; // a CSV error: both report it (in their own words)
          assert.deepEqual(got, expected.series);
          assert.deepEqual(read.columns.problems(), expected.problems);
        }
      }),
      { numRuns: args.runs },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** MLflow metric files read as a stream in small chunks give what parsing the whole text gives (complete lines). */
export async function metricFileStreaming(args: { runs: number }, tick: Tick): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-metric-fuzz-'));
  const path = join(dir, 'loss');
  let n = 0;
  const line = fc.oneof(
    fc.tuple(fc.nat(), fc.oneof(fc.double().map(String), fc.constantFrom('nan', 'inf', '-inf', '1e-5')), fc.option(fc.integer({ min: -5, max: 1000 }), { nil: undefined })).map(([t, v, s]) => `${t} ${v}${s === undefined ? '' : ` ${s}`}`),
    fc.string({ maxLength: 30 }),
    fc.constant('9'.repeat(5000)),
  );
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 40 }), async (lines) => {
        tick(`metric file ${n++}`);
        const text = lines.map((l) => `${l}\n`).join('');
        writeFileSync(path, text);
        const expected = parseMetricLines(text.split('\n').filter((l) => l.length <= 4096).join('\n')).points;
        assert.deepEqual((await readMetricFile(path)).points(), expected);
      }),
      { numRuns: args.runs },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A 9 MB metrics.csv (160,000 rows of 8 metrics, the shape CSVLogger writes) read with a small heap:
 * as text, row arrays and a point object per value it needed several times the file; as columns
 * of doubles (outside the heap) it needs little.
 */
export async function csvMemory(_args: unknown, tick: Tick): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-csv-memory-'));
  try {
    tick('writing a 9 MB metrics.csv');
    const v = join(dir, 'logs', 'version_0');
    mkdirSync(v, { recursive: true });
    const file = join(v, 'metrics.csv');
    writeFileSync(file, 'epoch,step,train_loss,train_acc,lr,grad_norm,val_loss,val_acc,val_f1,throughput\r\n');
    for (let from = 0; from < 160_000; from += 10_000) {
      let text = '';
      for (let step = from; step < from + 10_000; step++) text += `${step >> 10},${step},${(1 / (step + 1)).toFixed(12)},0.${step},0.000${step % 977},${step % 13}.25,,,,${1000 + (step % 101)}.5\r\n`;
      appendFileSync(file, text);
    }
    tick('reading it');
    const logs = new LightningCsvLogs(join(dir, 'logs'));
    const run = oneRun(await logs.load());
    assert.equal(run.metrics.find((m) => m.key === 'train_loss')?.count, 160_000);
    assert.equal((await logs.history(run, 'throughput')).length, 160_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
