import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { readRegistryFileStore } from '../../src/tracking/registry/registryFileStore';
import { readRegistryRest } from '../../src/tracking/registry/registryRest';
import { versionChart } from '../../src/tracking/registry/versionChart';
import { buildCompareData } from '../../src/tracking/compareData';
import { MlflowFileStore } from '../../src/tracking/mlflowFileStore';
import { RunCatalog } from '../../src/tracking/runCatalog';
import { readRegistrySqlite } from '../../src/tracking/registry/registrySqlite';
import { registryText } from '../../src/studies/studyText';
import { studyTools } from '../../src/studies/studyTools';
import { addSqliteRegistry, writeFileStoreRegistry, type FakeModel } from '../support/registryFixtures';
import { writeMlflowExperiment, writeMlflowSqlite } from '../support/trackingFixtures';

// The MLflow Model Registry from stores laid out as MLflow writes them (registryFixtures.ts says
// how each was checked against MLflow's source): the FileStore's models/ tree and the registry
// tables of an mlflow.db made by real SQLite from MLflow's schema; damaged ones listed and marked.

const hex = (c: string): string => c.repeat(32);
const MODELS: FakeModel[] = [
  {
    name: 'churn',
    description: 'churn classifier',
    tags: { team: 'growth' },
    aliases: { champion: 2, challenger: 3 },
    versions: [
      { version: 1, runId: hex('a'), stage: 'Archived' },
      { version: 2, runId: hex('b'), stage: 'Production', tags: { validated: 'yes' } },
      { version: 3, runId: hex('c') },
      { version: 4, runId: hex('d'), deleted: true },
      { version: 5, runId: hex('e') }, // its run was deleted from the store
    ],
  },
  { name: 'ranker', versions: [{ version: 1, status: 'PENDING_REGISTRATION' }] },
];

async function cli(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd }, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
  return { code, out, err };
}

describe('MLflow model registry', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-registry-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const check = (snap: ReturnType<typeof readRegistryFileStore>): void => {
    assert.deepEqual(snap.problems, []);
    assert.deepEqual(snap.models.map((m) => m.name), ['churn', 'ranker']);
    const churn = snap.models[0]!;
    assert.equal(churn.description, 'churn classifier');
    assert.deepEqual(churn.tags, { team: 'growth' });
    assert.deepEqual(churn.aliases, { champion: 2, challenger: 3 });
    assert.deepEqual(churn.versions.map((v) => v.version), [5, 3, 2, 1], 'newest first, the deleted version left out');
    const v2 = churn.versions.find((v) => v.version === 2)!;
    assert.deepEqual(v2.aliases, ['champion']);
    assert.equal(v2.stage, 'Production');
    assert.equal(v2.runId, hex('b'));
    assert.equal(v2.status, 'READY');
    assert.equal(v2.source, `runs:/${hex('b')}/model`);
    assert.deepEqual(v2.tags, { validated: 'yes' });
    assert.equal(snap.models[1]!.versions[0]!.status, 'PENDING_REGISTRATION');
  };

  it('reads the FileStore registry (mlruns/models/)', () => {
    const mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, MODELS);
    check(readRegistryFileStore(mlruns));
  });

  it('reads the registry tables of mlflow.db (real SQLite, MLflow\'s schema)', () => {
    const db = join(dir, 'mlflow.db');
    writeMlflowSqlite(db, [{ id: hex('b'), name: 'good', experiment: 'churn', metrics: { auc: [0.8, 0.9] } }]);
    addSqliteRegistry(db, MODELS);
    check(readRegistrySqlite(db));
  });

  it('a missing meta.yaml marks its model or version; a truncated mlflow.db is a problem, never thrown', () => {
    const mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, MODELS);
    unlinkSync(join(mlruns, 'models', 'churn', 'version-3', 'meta.yaml'));
    unlinkSync(join(mlruns, 'models', 'ranker', 'meta.yaml'));
    const snap = readRegistryFileStore(mlruns);
    assert.deepEqual(snap.models.find((m) => m.name === 'ranker')!.problems, ['meta.yaml is missing']);
    assert.deepEqual(snap.models[0]!.versions.find((v) => v.version === 3)!.problems, ['meta.yaml is missing']);
    const db = join(dir, 'cut.db');
    writeMlflowSqlite(db, [{ id: hex('b'), name: 'good', experiment: 'churn' }], { pageSize: 1024 });
    addSqliteRegistry(db, MODELS);
    copyFileSync(db, join(dir, 'whole.db'));
    truncateSync(db, 20 * 1024);
    const cut = readRegistrySqlite(db);
    assert.ok(cut.problems.length > 0);
    assert.match(cut.problems.join('\n'), /truncated|past the end|outside/);
  });

  it('a store no reader can open is one problem, said once with the store\'s name (every reader alike)', async () => {
    const db = join(dir, 'mlflow.db');
    writeFileSync(db, 'not a database at all, but long enough to have a header of sorts: '.repeat(4));
    const snap = readRegistrySqlite(db);
    assert.deepEqual(snap.models, []);
    assert.equal(snap.problems.length, 1);
    assert.doesNotMatch(snap.problems[0]!, /mlflow\.db/, 'the snapshot is the store\'s: its name is said where it is shown');
    assert.match(registryText([snap]), /^mlflow\.db: problem: [^\n]+$/);
    // A server that cannot be reached says it the same way.
    const rest = await readRegistryRest({ root: 'http://127.0.0.1:9', call: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')) });
    assert.deepEqual(rest, { store: 'http://127.0.0.1:9', models: [], problems: ['connect ECONNREFUSED 127.0.0.1:9'] });
  });

  it('`ml-engineer registry` lists models and a model\'s versions with their runs (a deleted run marked); the tool says the same', async () => {
    const mlruns = join(dir, 'mlruns');
    writeMlflowExperiment(mlruns, '1', 'churn', [
      { id: hex('b'), name: 'good-run', metrics: { auc: [0.8, 0.91] } },
      { id: hex('c'), name: 'new-run', metrics: { auc: [0.7, 0.93] } },
      { id: hex('a'), name: 'old-run', deleted: true, metrics: { auc: [0.5] } },
    ]);
    writeFileStoreRegistry(mlruns, MODELS);
    const list = await cli(['registry', mlruns], dir);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /churn \[mlruns\]: 4 version\(s\), @challenger=v3 @champion=v2, latest v5/);
    const versions = await cli(['registry', mlruns, '--model', 'churn'], dir);
    assert.equal(versions.code, 0, versions.err);
    assert.match(versions.out, /v2 @champion \[Production\] READY: run good-run \(b{32}\); auc=0\.91/);
    assert.match(versions.out, /v1 \[Archived\] READY: run old-run \(a{32}\) DELETED/);
    assert.match(versions.out, /v5 READY: run e{32} not found \(deleted\?\)/);
    const json = await cli(['registry', mlruns, '--json'], dir);
    assert.equal((JSON.parse(json.out) as { models: unknown[] }[])[0]!.models.length, 2);
    const none = await cli(['registry', join(dir, 'nothing')], dir);
    assert.equal(none.code, 1);

    const tools = studyTools({ studies: () => Promise.resolve([]), registries: () => Promise.resolve([readRegistryFileStore(mlruns)]), runs: () => [] });
    const tool = tools.find((t) => t.name === 'model_versions')!;
    const result = await tool.run({ model: 'churn' } as never, {} as never, new AbortController().signal);
    assert.match(typeof result.content === 'string' ? result.content : '', /v3 @challenger READY: run c{32} not found/);
  });

  it('charts a metric across a model\'s versions: one line per version, in order, named by version and alias', async () => {
    const mlruns = join(dir, 'mlruns');
    writeMlflowExperiment(mlruns, '1', 'churn', [
      { id: hex('a'), name: 'first-run', metrics: { val_loss: [0.9, 0.7], auc: [0.6] } },
      { id: hex('b'), name: 'good-run', metrics: { val_loss: [0.8, 0.5, 0.4] } },
    ]);
    // v2 and v3 were both registered from good-run; v5's run is not in the store.
    const models: FakeModel[] = [{ name: 'churn', aliases: { champion: 3, challenger: 2 }, versions: [{ version: 1, runId: hex('a'), stage: 'Archived' }, { version: 2, runId: hex('b') }, { version: 3, runId: hex('b') }, { version: 5, runId: hex('e') }] }];
    writeFileStoreRegistry(mlruns, models);
    const catalog = new RunCatalog();
    try {
      catalog.setSources([new MlflowFileStore(mlruns)]);
      await catalog.loadAll();
      const model = readRegistryFileStore(mlruns).models[0]!;
      const chart = versionChart(model, catalog.runs());
      assert.deepEqual(chart.labels, ['v1 [Archived]', 'v2 @challenger', 'v3 @champion']);
      assert.deepEqual(chart.keys.map((k) => catalog.findRun(k)!.name), ['first-run', 'good-run', 'good-run']);
      assert.deepEqual(chart.missing, ['v5']);
      assert.deepEqual(chart.metrics, ['auc', 'val_loss']);
      assert.equal(chart.title, 'churn: 3 versions');
      // What Compare Runs draws from it: the lines and the summary's columns by version.
      const data = await buildCompareData(catalog, chart.keys.map((k) => catalog.findRun(k)!), 'val_loss', undefined, chart.labels);
      assert.deepEqual(data.runs.map((r) => r.name), ['v1 [Archived]', 'v2 @challenger', 'v3 @champion']);
      const lines = data.series.filter((s) => s.metric === 'val_loss');
      assert.deepEqual(lines.map((s) => [data.runs[s.run]!.name, s.values]), [['v1 [Archived]', [0.9, 0.7]], ['v2 @challenger', [0.8, 0.5, 0.4]], ['v3 @champion', [0.8, 0.5, 0.4]]]);
      assert.deepEqual(data.summary.find((r) => r.metric === 'val_loss')!.cells.map((c) => c?.last), [0.7, 0.4, 0.4]);
    } finally {
      catalog.dispose();
    }
  });
});
