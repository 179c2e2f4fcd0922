import * as assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverSources, sourcesForPath } from '../../src/tracking/discovery';
import { LightningCsvLogs, parseMetricsCsv } from '../../src/tracking/lightningCsv';
import { MlflowFileStore, parseMetricLine } from '../../src/tracking/mlflowFileStore';
import type { RunRecord, SourceSnapshot } from '../../src/tracking/runModel';
import { TensorBoardLogDir } from '../../src/tracking/tensorboardRuns';
import { readWandbFile } from '../../src/tracking/wandbDatastore';
import { WandbRunsDir } from '../../src/tracking/wandbRuns';
import { compareRuns } from '../../src/tracking/runQuery';
import { appendMlflowMetric, wandbFile, wandbHistoryRecord, writeLightningVersion, writeMlflowExperiment, writeWandbRun } from '../support/trackingFixtures';

const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'tfevents', 'runs');
const runsOf = (s: SourceSnapshot): RunRecord[] => s.experiments.flatMap((e) => e.runs);
const hex = (c: string): string => c.repeat(32);

describe('tracking readers', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-track-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('MLflow FileStore', () => {
    it('parses metric lines as MLflow does: 2 or 3 fields, Python nan/inf', () => {
      assert.deepEqual(parseMetricLine('1721450907225 0.8731 12'), { time: 1721450907225, value: 0.8731, step: 12 });
      assert.deepEqual(parseMetricLine('1721450907225 0.5'), { time: 1721450907225, value: 0.5, step: 0 });
      assert.ok(Number.isNaN(parseMetricLine('1 nan 3')!.value));
      assert.equal(parseMetricLine('1 -inf 3')!.value, -Infinity);
      for (const bad of ['', '1', '1 2 3 4', 'x 1 2', '1 abc 2', '1 2 2.5']) assert.equal(parseMetricLine(bad), undefined, bad);
    });

    it('reads experiments, runs (integer statuses), params, tags, nested metric keys, artifacts and .trash', async () => {
      const mlruns = join(dir, 'mlruns');
      writeMlflowExperiment(mlruns, '0', 'Default', [
        { id: hex('a'), name: 'baseline', params: { lr: '0.01', 'optimizer/name': 'adam' }, metrics: { 'train/loss': [1, 0.5, 0.25], val_acc: [0.5, 0.7, 0.8] } },
        { id: hex('b'), name: 'diverged', status: 4, metrics: { 'train/loss': [1, 3, NaN] } },
        { id: hex('c'), name: 'live', status: 1 },
        { id: hex('d'), name: 'gone', deleted: true },
      ]);
      writeMlflowExperiment(join(mlruns, '.trash'), '7', 'old', [{ id: hex('e'), name: 'trashed' }], { deleted: true });
      mkdirSync(join(mlruns, 'models', 'm1'), { recursive: true }); // the registry is not an experiment
      const snap = await new MlflowFileStore(mlruns).load();
      assert.deepEqual(snap.problems, []);
      assert.deepEqual(snap.experiments.map((e) => [e.id, e.name, e.deleted]), [['0', 'Default', false], ['7', 'old', true]]);
      const runs = runsOf(snap);
      const byName = new Map(runs.map((r) => [r.name, r]));
      assert.deepEqual([...byName.keys()].sort(), ['baseline', 'diverged', 'gone', 'live', 'trashed']);
      const base = byName.get('baseline')!;
      assert.equal(base.status, 'finished');
      assert.deepEqual(base.params, { lr: '0.01', 'optimizer/name': 'adam' });
      assert.equal(base.tags['mlflow.user'], 'mle');
      assert.deepEqual(base.metrics.map((m) => [m.key, m.last, m.lastStep]), [['train/loss', 0.25, 2], ['val_acc', 0.8, 2]]);
      assert.equal(base.endTime! - base.startTime!, 60_000);
      assert.equal(base.artifactsDir, join(base.location, 'artifacts'));
      assert.equal(byName.get('diverged')!.status, 'failed');
      assert.ok(Number.isNaN(byName.get('diverged')!.metrics[0]!.last));
      assert.equal(byName.get('live')!.status, 'running');
      assert.equal(byName.get('gone')!.deleted, true);
      const history = await new MlflowFileStore(mlruns).history(base, 'train/loss');
      assert.deepEqual(history.map((p) => [p.step, p.value]), [[0, 1], [1, 0.5], [2, 0.25]]);
    });

    it('takes the latest value by step, keeps a run whose meta.yaml is broken, and reports bad metric lines', async () => {
      const mlruns = join(dir, 'mlruns');
      const exp = writeMlflowExperiment(mlruns, '0', 'Default', [{ id: hex('a'), name: 'a', metrics: { loss: [3, 2, 1] } }, { id: hex('b'), name: 'b' }]);
      appendFileSync(join(exp, hex('a'), 'metrics', 'loss'), '1721450999999 9.5 1\ngarbage line here x\n'); // a late write of an older step
      writeFileSync(join(exp, hex('b'), 'meta.yaml'), 'run_id: [unclosed\n  status: : :\n');
      const runs = runsOf(await new MlflowFileStore(mlruns).load());
      const a = runs.find((r) => r.runId === hex('a'))!;
      assert.deepEqual([a.metrics[0]!.last, a.metrics[0]!.lastStep], [1, 2]);
      assert.match(a.problems.join(), /metrics\/loss: 1 unreadable line/);
      const b = runs.find((r) => r.location.endsWith(hex('b')))!;
      assert.match(b.problems.join(), /meta\.yaml/);
      assert.equal(b.name, 'b', 'named from its mlflow.runName tag');
    });

    it('finds artifacts under the run when artifact_uri is a Windows path or another machine', async () => {
      const mlruns = join(dir, 'mlruns');
      const exp = writeMlflowExperiment(mlruns, '0', 'Default', [{ id: hex('a'), name: 'a' }]);
      const meta = join(exp, hex('a'), 'meta.yaml');
      writeFileSync(meta, readFileSync(meta, 'utf8').replace(/artifact_uri: .*/, 'artifact_uri: file:///C:/Users/me/mlruns/0/aaaa/artifacts'));
      const [run] = runsOf(await new MlflowFileStore(mlruns).load());
      assert.equal(run!.artifactsDir, join(exp, hex('a'), 'artifacts'));
    });

    it('sees a metric appended to a running run on the next load', async () => {
      const mlruns = join(dir, 'mlruns');
      const exp = writeMlflowExperiment(mlruns, '0', 'Default', [{ id: hex('a'), name: 'a', status: 1, metrics: { loss: [3, 2] } }]);
      const store = new MlflowFileStore(mlruns);
      assert.equal(runsOf(await store.load())[0]!.metrics[0]!.last, 2);
      appendMlflowMetric(join(exp, hex('a')), 'loss', 0.5, 2);
      assert.deepEqual(runsOf(await store.load())[0]!.metrics.map((m) => [m.last, m.lastStep]), [[0.5, 2]]);
    });

    it('gives a quick first listing (names, status) before params and metrics, when asked', async () => {
      const mlruns = join(dir, 'mlruns');
      writeMlflowExperiment(mlruns, '0', 'Default', [{ id: hex('a'), name: 'a', params: { lr: '1' }, metrics: { loss: [3, 2] } }, { id: hex('b'), name: 'b', status: 4 }]);
      const partials: SourceSnapshot[] = [];
      const full = await new MlflowFileStore(mlruns).load(undefined, (s) => partials.push(s));
      assert.equal(partials.length, 1);
      const quick = runsOf(partials[0]!);
      assert.deepEqual(quick.map((r) => [r.name, r.status, r.partial, r.metrics.length, Object.keys(r.params).length]).sort(), [['a', 'finished', true, 0, 0], ['b', 'failed', true, 0, 0]]);
      const done = runsOf(full).find((r) => r.name === 'a')!;
      assert.equal(done.partial, undefined);
      assert.deepEqual([done.params, done.metrics[0]!.last], [{ lr: '1' }, 2]);
    });

    it('reports a missing mlruns folder instead of throwing', async () => {
      const snap = await new MlflowFileStore(join(dir, 'nope')).load();
      assert.deepEqual(snap.experiments, []);
      assert.match(snap.problems.join(), /missing/);
    });
  });

  describe('TensorBoard log folders', () => {
    it('lists each folder with event files as a run, with tags summarised, from the real corpus', async () => {
      const snap = await new TensorBoardLogDir(join(corpus, 'strict')).load();
      const runs = runsOf(snap);
      assert.deepEqual(runs.map((r) => r.name), ['run_1', 'run_2', 'run_3']);
      for (const run of runs) {
        assert.deepEqual(run.problems, []);
        assert.equal(run.metrics.length, 1);
        assert.equal(run.metrics[0]!.key, 'strict/foo');
        assert.equal(run.metrics[0]!.count, 100);
        assert.equal(run.metrics[0]!.lastStep, 495);
        assert.ok(run.startTime! > 1.6e12);
      }
    });

    it('reads only what a live file appended, and waits for a half-written record', async () => {
      const source = readFileSync(join(corpus, 'strict', 'run_1', 'events.out.tfevents.1622543341.janoshs-mbp.lan.86862.0'));
      const runDir = join(dir, 'tb', 'live');
      mkdirSync(runDir, { recursive: true });
      const file = join(runDir, 'events.out.tfevents.1.host.1.0');
      writeFileSync(file, source.subarray(0, 1000));
      const logs = new TensorBoardLogDir(join(dir, 'tb'));
      const first = runsOf(await logs.load())[0]!;
      assert.deepEqual(first.problems, []);
      const before = first.metrics[0]?.count ?? 0;
      appendFileSync(file, source.subarray(1000));
      const second = runsOf(await logs.load())[0]!;
      assert.equal(second.metrics[0]!.count, 100);
      assert.ok(before < 100);
      assert.equal((await logs.history(second, 'strict/foo')).length, 100);
    });

    it('marks a run with a damaged record and still shows the rest', async () => {
      const runDir = join(dir, 'tb', 'bad');
      mkdirSync(runDir, { recursive: true });
      const data = Buffer.from(readFileSync(join(corpus, 'strict', 'run_1', 'events.out.tfevents.1622543341.janoshs-mbp.lan.86862.0')));
      data[200] = data[200]! ^ 0xff;
      writeFileSync(join(runDir, 'events.out.tfevents.1.h.1.0'), data);
      const [run] = runsOf(await new TensorBoardLogDir(join(dir, 'tb')).load());
      assert.match(run!.problems.join(), /checksum/);
      assert.ok(run!.metrics[0]!.count! >= 98);
    });
  });

  describe('Lightning CSVLogger', () => {
    it('reads sparse rows into one series per column, and flattens hparams.yaml', async () => {
      const logs = join(dir, 'lightning_logs');
      writeLightningVersion(logs, 0, { lr: 0.001, model: { hidden: 128, layers: [1, 2] } }, 50, (s) => 1 / (s + 1));
      writeLightningVersion(logs, 1, { lr: 0.01, model: { hidden: 64 } }, 20, (s) => 2 / (s + 1));
      const runs = runsOf(await new LightningCsvLogs(logs).load());
      assert.deepEqual(runs.map((r) => r.name), ['version_0', 'version_1']);
      const v0 = runs[0]!;
      assert.deepEqual(v0.params, { lr: '0.001', 'model.hidden': '128', 'model.layers': '[1,2]' });
      const val = v0.metrics.find((m) => m.key === 'val_loss')!;
      assert.equal(val.count, 5, 'validation every 10 steps: 5 values, not 50 blanks');
      assert.equal(v0.metrics.find((m) => m.key === 'train_loss')!.count, 50);
      assert.deepEqual(v0.problems, []);
    });

    it('leaves a half-written last line, and reports broken YAML and unreadable cells without dropping the run', async () => {
      const parsed = parseMetricsCsv('step,loss\n0,1.0\n1,0.5\n2,0.2');
      assert.deepEqual(parsed.series.get('loss')!.map((p) => p.step), [0, 1]);
      const logs = join(dir, 'lightning_logs');
      const v = writeLightningVersion(logs, 0, { lr: 1 }, 10, () => 1);
      writeFileSync(join(v, 'hparams.yaml'), 'lr: [1, 2\nmodel: {a: }\n  - bad');
      appendFileSync(join(v, 'metrics.csv'), '0,10,abc,,\n');
      const [run] = runsOf(await new LightningCsvLogs(logs).load());
      assert.match(run!.problems.join(), /hparams\.yaml/);
      assert.match(run!.problems.join(), /1 unreadable/);
      assert.equal(run!.metrics.find((m) => m.key === 'train_loss')!.count, 10);
    });

    it('reads a live metrics.csv on from where it stopped, and starts over when Lightning rewrites the header', async () => {
      const logs = join(dir, 'lightning_logs');
      const v = writeLightningVersion(logs, 0, {}, 20, (s) => s);
      const source = new LightningCsvLogs(logs);
      const count = async (key: string): Promise<number | undefined> => runsOf(await source.load())[0]!.metrics.find((m) => m.key === key)?.count;
      assert.equal(await count('train_loss'), 20);
      appendFileSync(join(v, 'metrics.csv'), '2,20,0.5,,\r\n2,21,0.4');
      assert.equal(await count('train_loss'), 21, 'the half-written row waits');
      appendFileSync(join(v, 'metrics.csv'), ',,\n');
      assert.equal(await count('train_loss'), 22);
      const history = await source.history(runsOf(await source.load())[0]!, 'train_loss');
      assert.deepEqual(history.slice(-2), [{ step: 20, value: 0.5 }, { step: 21, value: 0.4 }]);
      // a new key: CSVLogger rewrites the whole file with a wider header
      writeFileSync(join(v, 'metrics.csv'), 'epoch,step,train_loss,lr\n0,0,1.0,0.1\n0,1,0.9,0.1\n');
      assert.equal(await count('train_loss'), 2);
      assert.equal(await count('lr'), 2);
    });
  });

  describe('names and values read from files meet no JavaScript internals', () => {
    // Computed keys: `{ __proto__: x }` in a literal would set the prototype, not make a key.
    const odd: Record<string, string> = { ['__proto__']: 'p', constructor: 'c', toString: 't', hasOwnProperty: 'h' };
    const own = (o: object): Record<string, unknown> => Object.fromEntries(Object.entries(o));

    it('MLflow files: params, tags and metrics named __proto__ or constructor are kept, and compare as absent elsewhere', async () => {
      writeMlflowExperiment(join(dir, 'mlruns'), '0', 'Default', [
        { id: hex('a'), name: 'a', params: odd, metrics: { constructor: [1, 2], ['__proto__']: [3] } },
        { id: hex('b'), name: 'b', params: { lr: '1' } },
      ]);
      const [a, b] = runsOf(await new MlflowFileStore(join(dir, 'mlruns')).load()).sort((x, y) => x.name.localeCompare(y.name));
      assert.deepEqual(own(a!.params), own(odd));
      assert.deepEqual(a!.metrics.map((m) => [m.key, m.last]), [['__proto__', 3], ['constructor', 2]]);
      const compared = compareRuns([a!, b!]);
      assert.deepEqual(compared.differentParams.find((p) => p.key === 'constructor')!.values, ['c', undefined], 'not "function Object()"');
    });

    it('Lightning: hparams keys and CSV columns named __proto__ or constructor are kept', async () => {
      const logs = join(dir, 'lightning_logs');
      const v = writeLightningVersion(logs, 0, {}, 2, () => 1);
      writeFileSync(join(v, 'hparams.yaml'), '__proto__: 1\nconstructor: x\nmodel:\n  __proto__:\n    toString: 2\n');
      writeFileSync(join(v, 'metrics.csv'), 'step,constructor,__proto__\n0,1,2\n');
      const [run] = runsOf(await new LightningCsvLogs(logs).load());
      assert.deepEqual(own(run!.params), { ['__proto__']: '1', constructor: 'x', 'model.__proto__.toString': '2' });
      assert.deepEqual(run!.metrics.map((m) => m.key), ['__proto__', 'constructor']);
      assert.deepEqual(run!.problems, []);
    });

    it('W&B: config entries named __proto__, summaries named constructor, and side files of unexpected shapes', async () => {
      const wandb = join(dir, 'wandb');
      const run = writeWandbRun(wandb, { runId: 'r1', project: 'p', name: 'n', steps: 3, exitCode: 0, config: {} });
      writeFileSync(join(run, 'files', 'config.yaml'), 'wandb_version: 1\n__proto__:\n  desc: null\n  value: 5\nconstructor:\n  value: {a: 1}\nlist:\n  value: [1, 2]\nodd: 3\n');
      writeFileSync(join(run, 'files', 'wandb-summary.json'), '{"constructor": 1.5, "_step": "not a number"}');
      writeFileSync(join(run, 'files', 'wandb-metadata.json'), '{"git": "abc", "host": ["x"], "os": {"name": "Linux"}}');
      const [r] = runsOf(await new WandbRunsDir(wandb).load());
      assert.deepEqual(own(r!.params), { ['__proto__']: '5', 'constructor.a': '1', list: '[1,2]', odd: '3' });
      assert.equal(r!.metrics.find((m) => m.key === 'constructor')?.last, 1.5);
      assert.deepEqual(r!.tags, { tags: 'baseline' }, 'from the run record; none of the odd metadata');
      assert.deepEqual(r!.problems, []);
      writeFileSync(join(run, 'files', 'wandb-metadata.json'), '[1, 2]');
      writeFileSync(join(run, 'files', 'config.yaml'), '- just\n- a list\n');
      assert.deepEqual(runsOf(await new WandbRunsDir(wandb).load())[0]!.problems, [], 'a list where a mapping belongs is not an error, just nothing to show');
    });

    it('MLflow meta.yaml: a status of "constructor" and a key __proto__ holding a list change nothing', async () => {
      const exp = writeMlflowExperiment(join(dir, 'mlruns'), '0', 'Default', [{ id: hex('a'), name: 'a' }]);
      appendFileSync(join(exp, hex('a'), 'meta.yaml'), '__proto__: []\n');
      const [a] = runsOf(await new MlflowFileStore(join(dir, 'mlruns')).load());
      assert.equal(a!.status, 'finished');
      assert.equal(a!.name, 'a');
      assert.deepEqual(a!.problems, []);
    });
  });

  describe('W&B local runs', () => {
    it('reads a run folder: the .wandb history, run record, config, summary and metadata', async () => {
      const wandb = join(dir, 'wandb');
      writeWandbRun(wandb, { runId: 'a1b2c3', project: 'mnist', name: 'fancy-sun-1', steps: 5000, exitCode: 0, config: { lr: 0.001, optimizer: { name: 'adam', beta: 0.9 } } });
      writeWandbRun(wandb, { runId: 'zz9', project: 'mnist', name: 'crashy', steps: 10, exitCode: 1, offline: true, config: { lr: 0.1 } });
      const snap = await new WandbRunsDir(wandb).load();
      assert.deepEqual(snap.experiments.map((e) => e.name), ['mnist']);
      const [ok, crashed] = runsOf(snap).sort((a, b) => a.name.localeCompare(b.name)).reverse();
      assert.equal(ok!.name, 'fancy-sun-1');
      assert.equal(ok!.status, 'finished');
      assert.deepEqual(ok!.params, { lr: '0.001', 'optimizer.name': 'adam', 'optimizer.beta': '0.9' });
      assert.equal(ok!.metrics.find((m) => m.key === 'loss')!.count, 5000, 'history records span several 32 KiB blocks');
      assert.equal(ok!.metrics.find((m) => m.key === 'best_val')!.last, 0.9, 'summary-only values show too');
      assert.equal(ok!.tags.gpu, 'NVIDIA H100 80GB HBM3');
      assert.equal(ok!.endTime! - ok!.startTime!, 5000 * 1000);
      assert.equal(crashed!.status, 'failed');
      assert.equal(crashed!.tags.mode, 'offline');
      assert.deepEqual(ok!.problems, []);
    });

    it('checks each record CRC, splits and joins records across blocks, and waits for a half-written tail', () => {
      const big = wandbHistoryRecord(1, Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])), 1);
      const file = wandbFile([wandbHistoryRecord(0, { loss: 1 }, 0), big, wandbHistoryRecord(2, { loss: 0.5 }, 2)]);
      const whole = readWandbFile(file);
      assert.deepEqual(whole.problems, []);
      assert.equal(whole.history.length, 3);
      assert.equal(whole.history[1]!.items.length, 3003);
      const part = readWandbFile(file.subarray(0, 40_000));
      assert.equal(part.history.length, 1, 'the record split across blocks is not complete yet');
      const rest = readWandbFile(file, part, part.consumedBytes);
      assert.equal(rest.history.length, 3);
      const damaged = Buffer.from(file);
      damaged[20] = damaged[20]! ^ 0xff;
      const read = readWandbFile(damaged);
      assert.match(read.problems.join(), /bad checksum in the record at byte 7: the rest of its block is skipped/);
      assert.equal(read.history.length, 1, 'the first block is lost (the big record starts there); the record in the next blocks is read');
      assert.match(readWandbFile(Buffer.from('not a wandb file at all')).problems.join(), /not a W&B run file/);
    });

    it('reads a .wandb file in chunks of whole blocks, live, as reading it whole does', async () => {
      const wandb = join(dir, 'wandb');
      const run = writeWandbRun(wandb, { runId: 'big', project: 'p', name: 'n', steps: 3000, config: { lr: 1 } });
      const file = join(run, 'run-big.wandb');
      const whole = readWandbFile(readFileSync(file));
      const data = readFileSync(file);
      writeFileSync(file, data.subarray(0, 100_000)); // mid-record: a live run
      const source = new WandbRunsDir(wandb, 'w', 65536);
      const loss = async (): Promise<number | undefined> => runsOf(await source.load())[0]!.metrics.find((m) => m.key === 'loss')?.count;
      const early = await loss();
      assert.ok(early! > 100 && early! < 3000);
      writeFileSync(file, data);
      assert.equal(await loss(), whole.history.length);
      assert.equal(whole.history.length, 3000);
      const damaged = Buffer.from(data);
      damaged[200_000] = damaged[200_000]! ^ 0xff;
      writeFileSync(file, damaged.subarray(0, data.length - 1)); // shorter: read again from the start
      const [r] = runsOf(await new WandbRunsDir(wandb, 'w', 65536).load());
      assert.deepEqual(r!.problems, readWandbFile(damaged.subarray(0, data.length - 1)).problems, 'problems name the same file offsets');
    });

    it('shows a run with no .wandb file and a broken config, marked', async () => {
      const wandb = join(dir, 'wandb');
      const run = writeWandbRun(wandb, { runId: 'r1', project: 'p', name: 'n', steps: 3, exitCode: 0, config: { lr: 1 } });
      rmSync(join(run, 'run-r1.wandb'));
      writeFileSync(join(run, 'files', 'config.yaml'), 'lr: {value: [1,\n');
      const [r] = runsOf(await new WandbRunsDir(wandb).load());
      assert.equal(r!.runId, 'r1');
      assert.match(r!.problems.join(), /run-r1\.wandb: missing/);
      assert.match(r!.problems.join(), /config\.yaml/);
      assert.equal(r!.metrics.find((m) => m.key === 'loss')!.last, 2 / 3, 'from wandb-summary.json');
    });
  });

  describe('discovery', () => {
    it('finds every kind in a workspace, skips excluded and heavy folders, and does not descend into sources', async () => {
      writeMlflowExperiment(join(dir, 'mlruns'), '0', 'Default', [{ id: hex('a'), name: 'a' }]);
      writeLightningVersion(join(dir, 'exp', 'lightning_logs'), 0, {}, 3, () => 1);
      writeWandbRun(join(dir, 'wandb'), { runId: 'x1', project: 'p', name: 'n', steps: 2, config: {} });
      cpSync(join(corpus, 'strict'), join(dir, 'logs', 'tb'), { recursive: true });
      cpSync(join(corpus, 'strict'), join(dir, 'node_modules', 'pkg', 'runs'), { recursive: true });
      cpSync(join(corpus, 'strict'), join(dir, 'data', 'ignored'), { recursive: true });
      writeFileSync(join(dir, 'mlflow.db'), '');
      const { found, truncated } = await discoverSources(dir, { exclude: ['data/**'] });
      assert.equal(truncated, undefined);
      assert.deepEqual(
        found.map((f) => `${f.kind} ${f.path.slice(dir.length + 1)}`).sort(),
        ['lightning exp/lightning_logs', 'mlflow mlruns', 'mlflow-sqlite mlflow.db', 'tensorboard logs/tb', 'wandb wandb'],
      );
    });

    it('stops at its bounds and says so', async () => {
      for (let i = 0; i < 50; i++) mkdirSync(join(dir, `d${i}`, 'x'), { recursive: true });
      const result = await discoverSources(dir, { maxDirs: 10 });
      assert.match(result.truncated!, /stopped after 10 folders/);
    });

    it('follows no symbolic link (loops, links out of the workspace) and reads a bounded part of a huge folder', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'mle-outside-'));
      try {
        writeMlflowExperiment(join(outside, 'mlruns'), '0', 'Default', [{ id: hex('a'), name: 'a' }]);
        mkdirSync(join(dir, 'a', 'b'), { recursive: true });
        symlinkSync(dir, join(dir, 'a', 'b', 'loop'));
        symlinkSync(outside, join(dir, 'elsewhere'));
        mkdirSync(join(dir, 'many'));
        for (let i = 0; i < 300; i++) mkdirSync(join(dir, 'many', `d${i}`));
        const result = await discoverSources(dir, { maxEntries: 100 });
        assert.deepEqual(result.found, [], 'nothing found through the links');
        assert.match(result.truncated!, /read only the first 100 names in .*many/);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('picks the reader for a path given by the user', async () => {
      writeMlflowExperiment(join(dir, 'mlruns'), '0', 'Default', []);
      assert.equal((await sourcesForPath(join(dir, 'mlruns')))[0]!.kind, 'mlflow');
      assert.equal((await sourcesForPath(join(corpus, 'strict', 'run_1')))[0]!.kind, 'tensorboard');
      assert.equal((await sourcesForPath(join(dir, 'x.db')))[0]!.kind, 'mlflow-sqlite');
    });
  });

  it('never throws for a source whose folder vanishes or turns into a file', async () => {
    const mlruns = join(dir, 'mlruns');
    writeMlflowExperiment(mlruns, '0', 'Default', [{ id: hex('a'), name: 'a', metrics: { loss: [1] } }]);
    const store = new MlflowFileStore(mlruns);
    renameSync(mlruns, join(dir, 'moved'));
    writeFileSync(mlruns, 'now a file');
    const snap = await store.load();
    assert.deepEqual(snap.experiments, []);
    const tb = join(dir, 'tb', 'r');
    mkdirSync(tb, { recursive: true });
    copyFileSync(join(corpus, 'strict', 'run_1', 'events.out.tfevents.1622543341.janoshs-mbp.lan.86862.0'), join(tb, 'events.out.tfevents.1'));
    const logs = new TensorBoardLogDir(join(dir, 'tb'));
    await logs.load();
    truncateSync(join(tb, 'events.out.tfevents.1'), 10);
    const [run] = runsOf(await logs.load());
    assert.equal(run!.metrics.length, 0, 'a file cut shorter than what was read is read again from the start');
  });
});
