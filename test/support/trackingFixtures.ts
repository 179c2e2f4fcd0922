import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buf as crc32 } from 'crc-32';
import { Writer } from 'protobufjs/minimal';
import { stringify } from 'yaml';
import { tfRecord } from './hostileFiles';

// Writes tracking folders exactly as the tools write them, for tests and benches: MLflow's
// FileStore (file_store.py: yaml.safe_dump of sorted keys, metric lines "ts value step"),
// Lightning's CSVLogger (sparse rows, hparams.yaml), W&B's run folder and `.wandb` datastore
// (datastore.py framing), and an MLflow SQLite database made by real SQLite from MLflow's schema.

export const MLFLOW_SCHEMA = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'mlflow', 'latest_schema.sql');

export interface FakeRun {
  readonly id: string;
  readonly name: string;
  readonly status?: number;
  readonly params?: Record<string, string>;
  readonly tags?: Record<string, string>;
  /** key → values, one per step from 0; or explicit [step, value] pairs. */
  readonly metrics?: Record<string, readonly number[]>;
  readonly deleted?: boolean;
  readonly start?: number;
}

/** PyYAML's safe_dump(default_flow_style=False) of a flat mapping: sorted keys, block style. */
function safeDump(value: Record<string, unknown>): string {
  return stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))), { lineWidth: 0, singleQuote: true });
}

/** Python's float repr for the values we write (integers get ".0"). */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

export function writeMlflowExperiment(mlruns: string, experimentId: string, name: string, runs: readonly FakeRun[], options: { deleted?: boolean; start?: number } = {}): string {
  const dir = join(mlruns, experimentId);
  mkdirSync(dir, { recursive: true });
  const t0 = options.start ?? 1721450907221;
  writeFileSync(
    join(dir, 'meta.yaml'),
    safeDump({ artifact_location: `file://${dir}`, creation_time: t0, experiment_id: experimentId, last_update_time: t0, lifecycle_stage: options.deleted ? 'deleted' : 'active', name }),
  );
  for (const run of runs) writeMlflowRun(dir, experimentId, run, t0);
  return dir;
}

export function writeMlflowRun(experimentDir: string, experimentId: string, run: FakeRun, t0 = 1721450907221): string {
  const dir = join(experimentDir, run.id);
  for (const sub of ['metrics', 'params', 'tags', 'artifacts']) mkdirSync(join(dir, sub), { recursive: true });
  const start = run.start ?? t0;
  const status = run.status ?? 3;
  writeFileSync(
    join(dir, 'meta.yaml'),
    safeDump({
      artifact_uri: `file://${dir}/artifacts`,
      end_time: status === 1 ? null : start + 60_000,
      entry_point_name: '',
      experiment_id: experimentId,
      lifecycle_stage: run.deleted ? 'deleted' : 'active',
      run_id: run.id,
      run_name: run.name,
      run_uuid: run.id,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: start,
      status,
      tags: [],
      user_id: 'mle',
      ...(run.deleted ? { deleted_time: start + 120_000 } : {}),
    }),
  );
  for (const [key, value] of Object.entries(run.params ?? {})) writeNested(join(dir, 'params'), key, value);
  for (const [key, value] of Object.entries({ 'mlflow.runName': run.name, 'mlflow.user': 'mle', ...(run.tags ?? {}) })) writeNested(join(dir, 'tags'), key, value);
  for (const [key, values] of Object.entries(run.metrics ?? {})) {
    writeNested(join(dir, 'metrics'), key, values.map((v, step) => `${start + step * 1000} ${pyFloat(v)} ${step}\n`).join(''));
  }
  return dir;
}

/** MLflow keeps a key with "/" as nested folders. */
function writeNested(base: string, key: string, content: string): void {
  const path = join(base, ...key.split('/'));
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

export function appendMlflowMetric(runDir: string, key: string, value: number, step: number, time = Date.now()): void {
  appendFileSync(join(runDir, 'metrics', ...key.split('/')), `${time} ${pyFloat(value)} ${step}\n`);
}

/** Lightning's CSVLogger: one row per log call with only its keys (+ step), epoch-level rows sparse. */
export function writeLightningVersion(logs: string, version: number, hparams: Record<string, unknown>, steps: number, loss: (step: number) => number): string {
  const dir = join(logs, `version_${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hparams.yaml'), stringify(hparams));
  const rows = ['epoch,step,train_loss,val_loss,val_acc'];
  for (let step = 0; step < steps; step++) {
    rows.push(`${Math.floor(step / 10)},${step},${loss(step)},,`);
    if (step % 10 === 9) rows.push(`${Math.floor(step / 10)},${step},,${loss(step) * 1.1},${1 - loss(step) / 2}`);
  }
  writeFileSync(join(dir, 'metrics.csv'), rows.join('\n') + '\n');
  return dir;
}

// --- W&B ---------------------------------------------------------------------------------------

const BLOCK = 32768;

/** Frames payloads as wandb's DataStore does: 7-byte header, 32 KiB blocks, FULL/FIRST/MIDDLE/LAST. */
export function wandbFile(payloads: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00])];
  let offset = 7;
  const emit = (type: number, data: Uint8Array): void => {
    const head = Buffer.alloc(7);
    head.writeUInt32LE(crc32(data, crc32(new Uint8Array([type]))) >>> 0, 0);
    head.writeUInt16LE(data.length, 4);
    head.writeUInt8(type, 6);
    parts.push(head, Buffer.from(data));
    offset += 7 + data.length;
  };
  for (const payload of payloads) {
    let left = payload;
    let first = true;
    for (;;) {
      const space = BLOCK - (offset % BLOCK);
      if (space < 7) {
        parts.push(Buffer.alloc(space));
        offset += space;
        continue;
      }
      const fits = space - 7;
      if (left.length <= fits) {
        emit(first ? 1 : 4, left);
        break;
      }
      emit(first ? 2 : 3, left.subarray(0, fits));
      left = left.subarray(fits);
      first = false;
    }
  }
  return Buffer.concat(parts);
}

const item = (w: Writer, field: number, key: string, value: unknown): void => {
  w.uint32((field << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(key);
  w.uint32((16 << 3) | 2).string(JSON.stringify(value));
  w.ldelim();
};

export function wandbHistoryRecord(step: number, values: Record<string, number>, time: number): Uint8Array {
  const w = Writer.create();
  w.uint32((2 << 3) | 2).fork();
  for (const [key, value] of Object.entries({ ...values, _step: step, _timestamp: time, _runtime: 1 })) item(w, 1, key, value);
  w.uint32((2 << 3) | 2).fork().uint32(8).int64(step).ldelim();
  w.ldelim();
  return w.finish();
}

export function wandbRunRecord(runId: string, project: string, displayName: string, startSeconds: number): Uint8Array {
  const w = Writer.create();
  w.uint32((17 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(runId);
  w.uint32((3 << 3) | 2).string(project);
  w.uint32((8 << 3) | 2).string(displayName);
  w.uint32((10 << 3) | 2).string('baseline');
  w.uint32((17 << 3) | 2).fork().uint32(8).int64(startSeconds).ldelim();
  w.ldelim();
  return w.finish();
}

export function wandbConfigRecord(config: Record<string, unknown>): Uint8Array {
  const w = Writer.create();
  w.uint32((5 << 3) | 2).fork();
  for (const [key, value] of Object.entries(config)) item(w, 1, key, value);
  w.ldelim();
  return w.finish();
}

export function wandbExitRecord(exitCode: number, runtime: number): Uint8Array {
  const w = Writer.create();
  w.uint32((18 << 3) | 2).fork().uint32(8).int32(exitCode).uint32(16).int32(runtime).ldelim();
  return w.finish();
}

export function writeWandbRun(wandbDir: string, options: { runId: string; project: string; name: string; steps: number; exitCode?: number; offline?: boolean; config: Record<string, unknown> }): string {
  const dir = join(wandbDir, `${options.offline ? 'offline-' : ''}run-20261126_101500-${options.runId}`);
  mkdirSync(join(dir, 'files'), { recursive: true });
  const start = 1_790_000_000;
  const records = [wandbRunRecord(options.runId, options.project, options.name, start), wandbConfigRecord(options.config)];
  for (let step = 0; step < options.steps; step++) records.push(wandbHistoryRecord(step, { loss: 2 / (step + 1), acc: step / options.steps }, start + step));
  if (options.exitCode !== undefined) records.push(wandbExitRecord(options.exitCode, options.steps));
  writeFileSync(join(dir, `run-${options.runId}.wandb`), wandbFile(records));
  const config = ['wandb_version: 1', '', ...Object.entries(options.config).flatMap(([k, v]) => [`${k}:`, '  desc: null', `  value: ${JSON.stringify(v)}`]), '_wandb:', '  desc: null', '  value:', '    cli_version: 0.16.0', ''];
  writeFileSync(join(dir, 'files', 'config.yaml'), config.join('\n'));
  if (options.exitCode !== undefined) {
    writeFileSync(join(dir, 'files', 'wandb-summary.json'), JSON.stringify({ loss: 2 / options.steps, acc: (options.steps - 1) / options.steps, _step: options.steps - 1, _runtime: options.steps, best_val: 0.9 }));
  }
  writeFileSync(join(dir, 'files', 'wandb-metadata.json'), JSON.stringify({ os: 'Linux', python: '3.11.4', host: 'gpu-box', program: 'train.py', gpu: 'NVIDIA H100 80GB HBM3', gpu_count: 1 }));
  return dir;
}

// --- MLflow SQLite -----------------------------------------------------------------------------

/**
 * An mlflow.db made by real SQLite (Python's sqlite3) from MLflow's schema, holding `runs`.
 * `wal` leaves the last writes in the -wal file, as a live MLflow server does.
 */
export function writeMlflowSqlite(path: string, runs: readonly (FakeRun & { experiment: string })[], options: { python?: string; wal?: boolean; pageSize?: number } = {}): void {
  const schema = readFileSync(MLFLOW_SCHEMA, 'utf8');
  const script = `
import json, sqlite3, sys
spec = json.load(sys.stdin)
db = sqlite3.connect(spec['path'], isolation_level=None)
db.execute('PRAGMA page_size=%d' % spec['pageSize'])
if spec['wal']:
    db.execute('PRAGMA journal_mode=WAL')
    db.execute('PRAGMA wal_autocheckpoint=0')
for stmt in spec['schema'].split('\\n\\n\\n'):
    if stmt.strip():
        db.execute(stmt)
db.execute('BEGIN')
experiments = {}
for run in spec['runs']:
    if run['experiment'] not in experiments:
        eid = len(experiments) + 1
        experiments[run['experiment']] = eid
        db.execute("INSERT INTO experiments VALUES (?, ?, ?, 'active', 0, 0)", (eid, run['experiment'], 'mlflow-artifacts:/%d' % eid))
    eid = experiments[run['experiment']]
    status = {1: 'RUNNING', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED'}[run.get('status', 3)]
    start = run.get('start', 1721450907221)
    db.execute("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', 'mle', ?, ?, ?, '', ?, ?, ?)",
        (run['id'], run['name'], status, start, None if status == 'RUNNING' else start + 60000, 'deleted' if run.get('deleted') else 'active', 'mlflow-artifacts:/%d/%s/artifacts' % (eid, run['id']), eid))
    for k, v in run.get('params', {}).items():
        db.execute('INSERT INTO params VALUES (?, ?, ?)', (k, v, run['id']))
    for k, v in dict({'mlflow.user': 'mle'}, **run.get('tags', {})).items():
        db.execute('INSERT INTO tags VALUES (?, ?, ?)', (k, v, run['id']))
    for k, values in run.get('metrics', {}).items():
        values = [float(x) for x in values]
        for step, v in enumerate(values):
            nan = v != v
            db.execute('INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)', (k, 0.0 if nan else v, start + step * 1000, run['id'], step, 1 if nan else 0))
        last = values[-1]
        db.execute('INSERT INTO latest_metrics VALUES (?, ?, ?, ?, ?, ?)', (k, 0.0 if last != last else last, start + (len(values) - 1) * 1000, len(values) - 1, 1 if last != last else 0, run['id']))
db.execute('COMMIT')
if not spec['wal']:
    db.close()
else:
    # keep the -wal file: exit without a checkpoint
    import os
    os._exit(0)
`;
  execFileSync(options.python ?? '/usr/bin/python3', ['-c', script], {
    input: JSON.stringify({ path, wal: options.wal ?? false, pageSize: options.pageSize ?? 4096, schema, runs: runs.map((r) => ({ ...r, metrics: Object.fromEntries(Object.entries(r.metrics ?? {}).map(([k, v]) => [k, v.map((x) => (Number.isNaN(x) ? 'NaN' : x))])) })) }),
  });
}

/**
 * A TensorBoard run folder as PyTorch's SummaryWriter writes it: a file_version event, then one
 * event per scalar (wall_time, step, summary { value { tag, simple_value } }), TFRecord-framed.
 */
export function writeTensorBoardRun(runDir: string, scalars: Record<string, readonly number[]>, t0 = 1_764_150_000): string {
  mkdirSync(runDir, { recursive: true });
  const events: Buffer[] = [tfRecord(Writer.create().uint32((1 << 3) | 1).double(t0).uint32((3 << 3) | 2).string('brain.Event:2').finish())];
  const steps = Math.max(0, ...Object.values(scalars).map((v) => v.length));
  for (let step = 0; step < steps; step++) {
    for (const [tag, values] of Object.entries(scalars)) {
      if (step >= values.length) continue;
      const value = Writer.create().uint32((1 << 3) | 2).string(tag).uint32((2 << 3) | 5).float(values[step]!).finish();
      const summary = Writer.create().uint32((1 << 3) | 2).bytes(value).finish();
      events.push(tfRecord(Writer.create().uint32((1 << 3) | 1).double(t0 + step).uint32((2 << 3) | 0).int64(step).uint32((5 << 3) | 2).bytes(summary).finish()));
    }
  }
  const file = join(runDir, `events.out.tfevents.${t0}.e2e-host.1.0`);
  writeFileSync(file, Buffer.concat(events));
  return file;
}

/**
 * A workspace with two sources for filter, compare and runs-table tests: an MLflow experiment
 * (a good run, one that diverged to NaN, one without val_acc and with an extra param) and a
 * Lightning version (val_loss 1/(step+2), hparams lr).
 */
export function writeMixedSources(dir: string): { mlruns: string; lightning: string } {
  const mlruns = join(dir, 'mlruns');
  const lightning = join(dir, 'lightning_logs');
  writeMlflowExperiment(mlruns, '1', 'exp', [
    { id: 'a'.repeat(32), name: 'good', params: { lr: '0.001', model: 'mlp', seed: '0' }, metrics: { val_loss: [0.9, 0.35, 0.38], val_acc: [0.5, 0.8, 0.85] } },
    { id: 'b'.repeat(32), name: 'diverged', status: 4, params: { lr: '1.0', model: 'mlp', seed: '0' }, metrics: { val_loss: [0.7, 2.4, NaN] } },
    { id: 'c'.repeat(32), name: 'alone', params: { lr: '0.01', extra: 'x' }, metrics: { val_loss: [0.6, 0.45] } },
  ]);
  writeLightningVersion(lightning, 0, { lr: 0.003 }, 20, (s) => 1 / (s + 2));
  return { mlruns, lightning };
}
