import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

// MLflow Model Registry stores laid out as MLflow writes them (MLflow itself is not installable
// here). FileStore: mlflow/store/model_registry/file_store.py — models/<name>/meta.yaml is
// yaml.safe_dump(dict(RegisteredModel)) less tags and latest_versions, tags/<key>,
// aliases/<alias> holding the version, version-<n>/meta.yaml (dict(FileModelVersion) less tags,
// metrics, params, aliases), version-<n>/tags/<key>; a deleted version's stage is
// "Deleted_Internal". SQLite: the registry rows inserted into a database made by real SQLite from
// MLflow's schema dump (shared/corpora/mlflow/latest_schema.sql), after the runs of
// writeMlflowSqlite.

export interface FakeVersion {
  readonly version: number;
  readonly runId?: string;
  readonly stage?: string;
  readonly status?: string;
  readonly tags?: Record<string, string>;
  readonly deleted?: boolean;
}

export interface FakeModel {
  readonly name: string;
  readonly description?: string;
  readonly tags?: Record<string, string>;
  readonly aliases?: Record<string, number>;
  readonly versions: readonly FakeVersion[];
}

const dump = (value: Record<string, unknown>): string => stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))), { lineWidth: 0 });

/** Two runs of examples/mlruns' sample experiment whose logged models (runs:/<id>/model) a registry's versions can name. */
export const LOGGED_ONNX_RUNS = ['3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b', '7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f'] as const;

/**
 * Gives LOGGED_ONNX_RUNS of a copy of examples/ their logged models: an MLmodel MLflow wrote
 * (test/fixtures/mlflow-models) beside an ONNX file from the corpus (onnx/onnx's single-Relu test
 * model), so the versions that name them have files on this machine, and latency can be compared.
 */
export function writeLoggedOnnxModels(workspace: string): void {
  LOGGED_ONNX_RUNS.forEach((run, i) => {
    const model = join(workspace, 'mlruns', '412570119832766211', run, 'artifacts', 'model');
    mkdirSync(model, { recursive: true });
    copyFileSync(join(__dirname, '..', 'fixtures', 'mlflow-models', ['langchain-2.12.2', 'pyfunc-2.7.1'][i]!, 'MLmodel'), join(model, 'MLmodel'));
    copyFileSync(join(__dirname, '..', '..', '..', 'shared', 'corpora', 'onnx', 'simple', 'test_single_relu_model.onnx'), join(model, 'model.onnx'));
  });
}

export function writeFileStoreRegistry(mlruns: string, models: readonly FakeModel[], t0 = 1_721_450_907_221): void {
  for (const m of models) {
    const dir = join(mlruns, 'models', m.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'meta.yaml'), dump({ aliases: {}, creation_timestamp: t0, deployment_job_id: null, deployment_job_state: null, description: m.description ?? null, last_updated_timestamp: t0 + 1000, name: m.name }));
    for (const [k, v] of Object.entries(m.tags ?? {})) {
      mkdirSync(join(dir, 'tags'), { recursive: true });
      writeFileSync(join(dir, 'tags', k), v);
    }
    for (const [alias, version] of Object.entries(m.aliases ?? {})) {
      mkdirSync(join(dir, 'aliases'), { recursive: true });
      writeFileSync(join(dir, 'aliases', alias), String(version));
    }
    for (const v of m.versions) {
      const vdir = join(dir, `version-${v.version}`);
      mkdirSync(vdir, { recursive: true });
      writeFileSync(
        join(vdir, 'meta.yaml'),
        dump({
          creation_timestamp: t0 + v.version * 1000,
          current_stage: v.deleted ? 'Deleted_Internal' : (v.stage ?? 'None'),
          deployment_job_state: null,
          description: null,
          last_updated_timestamp: t0 + v.version * 1000,
          model_id: null,
          name: m.name,
          run_id: v.runId ?? null,
          run_link: null,
          source: v.runId ? `runs:/${v.runId}/model` : 'file:///models/x',
          status: v.status ?? 'READY',
          status_message: null,
          storage_location: `file://${mlruns}/1/${v.runId ?? 'x'}/artifacts/model`,
          user_id: null,
          version: v.version,
        }),
      );
      for (const [k, val] of Object.entries(v.tags ?? {})) {
        mkdirSync(join(vdir, 'tags'), { recursive: true });
        writeFileSync(join(vdir, 'tags', k), val);
      }
    }
  }
}

/** Adds registry rows to an mlflow.db made by writeMlflowSqlite (real SQLite, MLflow's schema). */
export function addSqliteRegistry(db: string, models: readonly FakeModel[], python = '/usr/bin/python3', t0 = 1_721_450_907_221): void {
  const script = `
import json, sqlite3, sys
spec = json.load(sys.stdin)
db = sqlite3.connect(spec['path'])
t0 = spec['t0']
for m in spec['models']:
    db.execute('INSERT INTO registered_models VALUES (?, ?, ?, ?)', (m['name'], t0, t0 + 1000, m.get('description')))
    for k, v in m.get('tags', {}).items():
        db.execute('INSERT INTO registered_model_tags VALUES (?, ?, ?)', (k, v, m['name']))
    for a, v in m.get('aliases', {}).items():
        db.execute('INSERT INTO registered_model_aliases VALUES (?, ?, ?)', (a, v, m['name']))
    for v in m['versions']:
        stage = 'Deleted_Internal' if v.get('deleted') else v.get('stage', 'None')
        run = v.get('runId')
        db.execute('INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, status_message, run_link, storage_location) VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, NULL, NULL, ?)',
            (m['name'], v['version'], t0 + v['version'] * 1000, t0 + v['version'] * 1000, stage, 'runs:/%s/model' % run if run else 'file:///x', run, v.get('status', 'READY'), 'mlflow-artifacts:/1/%s/artifacts/model' % run))
        for k, val in v.get('tags', {}).items():
            db.execute('INSERT INTO model_version_tags VALUES (?, ?, ?, ?)', (k, val, m['name'], v['version']))
db.commit()
db.close()
`;
  execFileSync(python, ['-c', script], { input: JSON.stringify({ path: db, models, t0 }) });
}
