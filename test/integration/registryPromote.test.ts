import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MlflowServer } from '../../src/tracking/mlflowServer';
import { readRegistryFileStore } from '../../src/tracking/registry/registryFileStore';
import { promoteInFileStore } from '../../src/tracking/registry/registryFileStoreWrite';
import { aliasProblem, promotionSummary } from '../../src/tracking/registry/registryPromote';
import { AliasesUnsupportedError, promoteOverRest, readRegistryRest, setAliasTagOverRest } from '../../src/tracking/registry/registryRest';
import { readRegistrySqlite } from '../../src/tracking/registry/registrySqlite';
import { promoteInSqlite } from '../../src/tracking/registry/registrySqliteWrite';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { modelFilesIn, servableFile, versionModelPath } from '../../src/tracking/registry/versionFiles';
import { startRegistryStandin, standinModels, type RegistryStandin } from '../support/mlflowRegistryStandin';
import { addSqliteRegistry, writeFileStoreRegistry, type FakeModel } from '../support/registryFixtures';
import { writeMlflowSqlite } from '../support/trackingFixtures';

// The registry of a tracking server over REST (a loopback stand-in that follows MLflow's REST
// reference: paging, validation, a server from before aliases) and Promote… in all three stores:
// the FileStore's files, mlflow.db rows (real SQLite, MLflow's schema, written in one
// transaction by Python's sqlite3) and REST.

const PYTHON = '/usr/bin/python3';
const hex = (c: string): string => c.repeat(32);
const MODELS: FakeModel[] = [
  {
    name: 'churn',
    aliases: { champion: 2 },
    versions: [
      { version: 1, runId: hex('a'), stage: 'Archived' },
      { version: 2, runId: hex('b'), stage: 'Production' },
      { version: 3, runId: hex('c') },
      { version: 4, runId: hex('d'), deleted: true },
    ],
  },
];

describe('MLflow registry over REST and Promote…', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-promote-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('a tracking server over REST', () => {
    let stand: RegistryStandin;
    afterEach(() => stand.close());

    it('reads every model and version through the pages, with aliases, stages, runs and tags', async () => {
      stand = await startRegistryStandin(standinModels(1500), { token: 's3cret' });
      const server = new MlflowServer(`${stand.url}/`, () => Promise.resolve('s3cret'));
      const snap = await readRegistryRest(server);
      assert.deepEqual(snap.problems, []);
      assert.equal(snap.store, stand.url);
      assert.equal(snap.models.length, 1500, 'two pages of registered models (max_results 1000)');
      assert.equal(stand.seen.filter((s) => s.path.endsWith('registered-models/search')).length, 2);
      assert.equal(stand.seen.filter((s) => s.path.endsWith('model-versions/search')).length, 5, '4500 versions in pages of 1000');
      const first = snap.models[0]!;
      assert.equal(first.name, 'model-0000');
      assert.equal(first.description, 'churn classifier');
      assert.deepEqual(first.tags, { team: 'growth' });
      assert.deepEqual(first.aliases, { champion: 2, challenger: 3 });
      assert.deepEqual(first.versions.map((v) => [v.version, v.aliases, v.stage]), [[3, ['challenger'], 'None'], [2, ['champion'], 'Production'], [1, [], 'Archived']]);
      assert.deepEqual(first.versions[0]!.tags, { validated: 'yes' });
      assert.equal(first.versions[0]!.runId, `0000${'r'.repeat(27)}3`);
      assert.deepEqual(snap.models[1]!.aliases, {});
    });

    it('a wrong token, or a server that is not MLflow, is a problem, never thrown', async () => {
      stand = await startRegistryStandin(standinModels(2), { token: 's3cret' });
      const bad = await readRegistryRest(new MlflowServer(stand.url, () => Promise.resolve('nope')));
      assert.deepEqual(bad.models, []);
      assert.match(bad.problems.join('\n'), /answered 401: UNAUTHENTICATED/);
      const missing = await readRegistryRest(new MlflowServer(`${stand.url}/not-mlflow`, () => Promise.resolve('s3cret')));
      assert.match(missing.problems.join('\n'), /answered 404/);
    });

    it('moves an alias and a stage over REST, validated as MLflow validates them', async () => {
      stand = await startRegistryStandin(standinModels(1));
      const server = new MlflowServer(stand.url, () => Promise.resolve(undefined));
      await promoteOverRest(server, 'model-0000', 3, { kind: 'alias', alias: 'champion' });
      const post = stand.seen.find((s) => s.path.endsWith('registered-models/alias'))!;
      assert.deepEqual(post.body, { name: 'model-0000', alias: 'champion', version: '3' });
      assert.deepEqual((await readRegistryRest(server)).models[0]!.aliases, { champion: 3, challenger: 3 });
      await promoteOverRest(server, 'model-0000', 3, { kind: 'stage', stage: 'production', archiveExisting: true });
      const after = (await readRegistryRest(server)).models[0]!;
      assert.deepEqual(after.versions.map((v) => [v.version, v.stage]), [[3, 'Production'], [2, 'Archived'], [1, 'Archived']]);
      await assert.rejects(promoteOverRest(server, 'model-0000', 9, { kind: 'alias', alias: 'champion' }), /404: RESOURCE_DOES_NOT_EXIST Model Version \(name=model-0000, version=9\) not found/);
      await assert.rejects(promoteOverRest(server, 'model-0000', 3, { kind: 'alias', alias: 'v3' }), /Version alias name 'v3' is reserved/);
      assert.equal(stand.seen.filter((s) => s.method === 'POST').length, 3, 'a reserved alias is refused before any request');
    });

    it('a server from before aliases lists stages and says to move a stage instead', async () => {
      stand = await startRegistryStandin(standinModels(1), { legacy: true });
      const server = new MlflowServer(stand.url, () => Promise.resolve(undefined));
      const snap = await readRegistryRest(server);
      assert.deepEqual(snap.models[0]!.aliases, {});
      assert.equal(snap.models[0]!.versions[1]!.stage, 'Production');
      await assert.rejects(promoteOverRest(server, 'model-0000', 3, { kind: 'alias', alias: 'champion' }), /has no alias endpoints .*move a stage instead/);
      await promoteOverRest(server, 'model-0000', 3, { kind: 'stage', stage: 'Staging', archiveExisting: false });
      assert.equal((await readRegistryRest(server)).models[0]!.versions[0]!.stage, 'Staging');
    });

    it('a server from before aliases: an alias kept as the model\'s tag alias.<name> reads as the alias, and moves', async () => {
      const models = standinModels(2);
      models[0]!.tags = { team: 'growth', 'alias.champion': '2', 'alias.latest': '1', 'alias.ghost': '9' };
      stand = await startRegistryStandin(models, { legacy: true });
      const server = new MlflowServer(stand.url, () => Promise.resolve(undefined));
      const before = (await readRegistryRest(server)).models[0]!;
      assert.deepEqual(before.aliases, { champion: 2 }, 'a reserved name and a version the model lacks are not aliases');
      assert.deepEqual(before.versions.map((v) => [v.version, v.aliases, v.stage]), [[3, [], 'None'], [2, ['champion'], 'Production'], [1, [], 'Archived']]);
      assert.equal(before.tags['alias.champion'], '2', 'the tag itself still lists');
      await assert.rejects(promoteOverRest(server, 'model-0000', 3, { kind: 'alias', alias: 'champion' }), (e: Error) => e instanceof AliasesUnsupportedError && /keep the alias as the model's tag alias\.champion/.test(e.message));
      await setAliasTagOverRest(server, 'model-0000', 3, 'champion');
      assert.deepEqual(stand.seen.at(-1), { method: 'POST', path: '/api/2.0/mlflow/registered-models/set-tag', query: {}, body: { name: 'model-0000', key: 'alias.champion', value: '3' } });
      const after = (await readRegistryRest(server)).models[0]!;
      assert.deepEqual(after.aliases, { champion: 3 });
      assert.deepEqual(after.versions[0]!.aliases, ['champion']);
      const posts = stand.seen.filter((x) => x.method === 'POST').length;
      await assert.rejects(setAliasTagOverRest(server, 'model-0000', 7, 'champion'), /Model Version \(name=model-0000, version=7\) not found/);
      await assert.rejects(setAliasTagOverRest(server, 'model-0000', 3, 'v3'), /Version alias name 'v3' is reserved/);
      assert.equal(stand.seen.filter((x) => x.method === 'POST').length, posts, 'refused before any write');
    });

    it('on a server with aliases, a real alias wins over a tag of the same name', async () => {
      const models = standinModels(1);
      models[0]!.tags = { 'alias.champion': '1', 'alias.shadow': '1' };
      stand = await startRegistryStandin(models);
      const m = (await readRegistryRest(new MlflowServer(stand.url, () => Promise.resolve(undefined)))).models[0]!;
      assert.deepEqual(m.aliases, { champion: 2, challenger: 3, shadow: 1 });
      assert.deepEqual(m.versions.map((v) => [v.version, v.aliases]), [[3, ['challenger']], [2, ['champion']], [1, ['shadow']]]);
    });
  });

  it('`ml-engineer registry URL` lists a tracking server\'s registry with MLflow\'s token variable', async () => {
    const stand = await startRegistryStandin(standinModels(3), { token: 'tok' });
    try {
      let out = '';
      let err = '';
      const run = (env: NodeJS.ProcessEnv, argv: string[]) => runCli(['registry', stand.url, ...argv], { out: (t) => (out += t), err: (t) => (err += t), env, cwd: dir }, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
      assert.equal(await run({ MLFLOW_TRACKING_TOKEN: 'tok' }, ['--model', 'model-0000']), 0, err);
      assert.match(out, /v2 @champion \[Production\] READY/);
      out = '';
      err = '';
      assert.equal(await run({}, []), 1);
      assert.match(err, /401/);
    } finally {
      await stand.close();
    }
  });

  it('`ml-engineer registry --promote` shows what changes and writes only with --yes (FileStore, mlflow.db, REST)', async () => {
    let out = '';
    let err = '';
    const cli = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      out = '';
      err = '';
      return runCli(['registry', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env, cwd: dir }, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
    };
    const mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, MODELS);
    assert.equal(await cli([mlruns, '--model', 'churn', '--promote', '3', '--alias', 'champion']), 1);
    assert.match(out, /^churn @champion: v2 → v3\n/);
    assert.match(out, /Store: .*mlruns\n$/);
    assert.match(err, /nothing written: run it again with --yes/);
    assert.equal(readFileSync(join(mlruns, 'models', 'churn', 'aliases', 'champion'), 'utf8'), '2', 'nothing written without --yes');
    assert.equal(await cli([mlruns, '--model', 'churn', '--promote', '3', '--alias', 'champion', '--yes']), 0, err);
    assert.match(out, /Written: churn v3 to @champion \(now on v2\)\.\n$/);
    assert.equal(readFileSync(join(mlruns, 'models', 'churn', 'aliases', 'champion'), 'utf8'), '3');
    assert.equal(await cli([mlruns, '--model', 'churn', '--promote', '4', '--alias', 'champion', '--yes']), 1);
    assert.match(err, /churn has no version 4\. Versions: 3, 2, 1/, 'a deleted version is not offered');
    assert.equal(await cli([mlruns, '--model', 'churn', '--promote', '3', '--yes']), 1);
    assert.match(err, /either an alias .* or a stage/);

    const db = join(dir, 'srv', 'mlflow.db');
    mkdirSync(join(dir, 'srv'));
    writeMlflowSqlite(db, [{ id: hex('b'), name: 'good', experiment: 'churn' }]);
    addSqliteRegistry(db, MODELS);
    assert.equal(await cli([db, '--model', 'churn', '--promote', '3', '--stage', 'production', '--archive-existing', '--yes', '--python', PYTHON]), 0, err);
    assert.match(out, /churn v3: None → Production\nArchived: v2 \(now in Production\)/);
    assert.deepEqual(readRegistrySqlite(db).models[0]!.versions.map((v) => [v.version, v.stage]), [[3, 'Production'], [2, 'Archived'], [1, 'Archived']]);

    const stand = await startRegistryStandin(standinModels(1), { token: 'tok' });
    try {
      assert.equal(await cli([stand.url, '--model', 'model-0000', '--promote', '3', '--alias', 'champion', '--yes'], { MLFLOW_TRACKING_TOKEN: 'tok' }), 0, err);
      assert.deepEqual(stand.models[0]!.aliases, { champion: 3, challenger: 3 });
    } finally {
      await stand.close();
    }
  });

  it('finds a version\'s model files: storage_location, runs:/ under its run, mlflow-artifacts:/ beside mlflow.db', () => {
    const mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, MODELS);
    const modelDir = join(mlruns, '1', hex('b'), 'artifacts', 'model');
    mkdirSync(join(modelDir, 'data'), { recursive: true });
    writeFileSync(join(modelDir, 'MLmodel'), 'flavors: {}\n');
    writeFileSync(join(modelDir, 'model.pkl'), 'x');
    writeFileSync(join(modelDir, 'data', 'model.onnx'), 'x');
    const v2 = readRegistryFileStore(mlruns).models[0]!.versions.find((v) => v.version === 2)!;
    const store = { kind: 'mlflow', root: mlruns };
    assert.equal(versionModelPath(v2, undefined, store), modelDir, 'storage_location (file://)');
    const files = modelFilesIn(modelDir);
    assert.deepEqual(files, [join(modelDir, 'MLmodel'), join(modelDir, 'data', 'model.onnx'), join(modelDir, 'model.pkl')]);
    assert.equal(servableFile(files), join(modelDir, 'data', 'model.onnx'));
    const run = { runId: hex('b'), artifactsDir: join(mlruns, '1', hex('b'), 'artifacts') } as never;
    assert.equal(versionModelPath({ ...v2, storageLocation: undefined }, run, store), modelDir, 'runs:/<id>/model under the run');
    assert.equal(versionModelPath({ ...v2, storageLocation: undefined, source: `runs:/${hex('b')}/../../../..` }, run, store), undefined, 'never outside the run');
    const db = join(dir, 'srv', 'mlflow.db');
    mkdirSync(join(dir, 'srv', 'mlartifacts', '1', hex('b'), 'artifacts', 'model'), { recursive: true });
    assert.equal(versionModelPath({ ...v2, storageLocation: `mlflow-artifacts:/1/${hex('b')}/artifacts/model` }, undefined, { kind: 'mlflow-sqlite', root: db }), join(dir, 'srv', 'mlartifacts', '1', hex('b'), 'artifacts', 'model'));
    assert.equal(versionModelPath({ ...v2, storageLocation: 's3://bucket/model', source: 's3://bucket/model' }, undefined, store), undefined, 'a remote store has no local files');
  });

  it('alias names MLflow refuses are refused', () => {
    for (const bad of ['', 'latest', 'LATEST', 'v1', 'V22', 'has space', 'a/b', 'x'.repeat(256)]) assert.ok(aliasProblem(bad), bad);
    for (const good of ['champion', 'prod-2', 'é_1', 'v1a']) assert.equal(aliasProblem(good), undefined, good);
  });

  it('moves an alias and a stage in the FileStore, as file_store.py writes them', () => {
    const mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, MODELS);
    const metaBefore = parse(readFileSync(join(mlruns, 'models', 'churn', 'meta.yaml'), 'utf8')) as Record<string, unknown>;
    promoteInFileStore(mlruns, 'churn', 3, { kind: 'alias', alias: 'champion' }, 1_800_000_000_000);
    assert.equal(readFileSync(join(mlruns, 'models', 'churn', 'aliases', 'champion'), 'utf8'), '3');
    const metaAfter = parse(readFileSync(join(mlruns, 'models', 'churn', 'meta.yaml'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(metaAfter, { ...metaBefore, last_updated_timestamp: 1_800_000_000_000 }, 'only the timestamp changes');
    promoteInFileStore(mlruns, 'churn', 3, { kind: 'alias', alias: 'challenger' });
    promoteInFileStore(mlruns, 'churn', 3, { kind: 'stage', stage: 'Production', archiveExisting: true }, 1_800_000_000_001);
    const snap = readRegistryFileStore(mlruns);
    const churn = snap.models[0]!;
    assert.deepEqual(churn.aliases, { champion: 3, challenger: 3 });
    assert.deepEqual(churn.versions.map((v) => [v.version, v.stage, v.aliases]), [[3, 'Production', ['challenger', 'champion']], [2, 'Archived', []], [1, 'Archived', []]]);
    assert.equal(churn.versions[0]!.updated, 1_800_000_000_001);
    assert.throws(() => promoteInFileStore(mlruns, 'churn', 4, { kind: 'alias', alias: 'x' }), /Model Version \(name=churn, version=4\) not found/, 'a deleted version');
    assert.throws(() => promoteInFileStore(mlruns, '../churn', 3, { kind: 'alias', alias: 'x' }), /path separator/);
    assert.throws(() => promoteInFileStore(mlruns, 'churn', 3, { kind: 'stage', stage: 'None', archiveExisting: true }), /not an Active stage/);
    writeFileSync(join(mlruns, 'models', 'churn', 'version-3', 'meta.yaml'), '- a list, not a mapping\n');
    assert.throws(() => promoteInFileStore(mlruns, 'churn', 3, { kind: 'stage', stage: 'Archived', archiveExisting: false }), /not a YAML mapping/);
    assert.equal(readFileSync(join(mlruns, 'models', 'churn', 'version-3', 'meta.yaml'), 'utf8'), '- a list, not a mapping\n', 'left as it was');
  });

  it('moves an alias and a stage in mlflow.db in one transaction (real SQLite, MLflow\'s schema)', async () => {
    const db = join(dir, 'mlflow.db');
    writeMlflowSqlite(db, [{ id: hex('b'), name: 'good', experiment: 'churn' }]);
    addSqliteRegistry(db, MODELS);
    await promoteInSqlite(PYTHON, db, 'churn', 3, { kind: 'alias', alias: 'champion' });
    await promoteInSqlite(PYTHON, db, 'churn', 1, { kind: 'alias', alias: 'old' });
    await promoteInSqlite(PYTHON, db, 'churn', 3, { kind: 'stage', stage: 'Production', archiveExisting: true }, 1_800_000_000_000);
    const churn = readRegistrySqlite(db).models[0]!;
    assert.deepEqual(churn.aliases, { champion: 3, old: 1 });
    assert.deepEqual(churn.versions.map((v) => [v.version, v.stage]), [[3, 'Production'], [2, 'Archived'], [1, 'Archived']]);
    assert.equal(churn.updated, 1_800_000_000_000);
    const rows = execFileSync(PYTHON, ['-c', 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM registered_model_aliases").fetchone()[0])', db], { encoding: 'utf8' });
    assert.equal(rows.trim(), '2', 'the alias moved: one row per (name, alias)');
    await assert.rejects(promoteInSqlite(PYTHON, db, 'churn', 4, { kind: 'alias', alias: 'x' }), /Model Version \(name=churn, version=4\) not found/);
    await assert.rejects(promoteInSqlite(PYTHON, db, 'nope', 1, { kind: 'alias', alias: 'x' }), /Registered Model with name=nope not found/);
  });

  it('says what a promotion changes: the version holding it now and the runs\' metrics', () => {
    const model = { name: 'churn', tags: {}, aliases: { champion: 2 }, problems: [], versions: [{ name: 'churn', version: 3, aliases: [], tags: {}, problems: [], runId: 'c', status: 'READY' }, { name: 'churn', version: 2, aliases: ['champion'], tags: {}, problems: [], runId: 'b' }] };
    const metrics = (v: { version: number }) => (v.version === 3 ? [{ key: 'auc', last: 0.93, lastStep: 1 }] : [{ key: 'auc', last: 0.91, lastStep: 1 }]);
    const text = promotionSummary(model, model.versions[0]!, { kind: 'alias', alias: 'champion' }, metrics);
    assert.match(text, /churn @champion: v2 → v3/);
    assert.match(text, /auc: 0\.9100 → 0\.9300 \(\+0\.02000\)/);
  });
});
