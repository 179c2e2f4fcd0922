import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { compareModelsOnDataTool, compareModelsTool } from '../../src/models/compare/compareTool';
import { parseModelRef } from '../../src/models/compare/registryRef';
import { loadOrt } from '../../src/models/runtime/onnxRun';
import { writeFileStoreRegistry } from '../support/registryFixtures';

// Compare Models on two versions of a registered model: an MLflow FileStore laid out as MLflow
// writes it (registryFixtures.ts), each version's TorchScript model (trained in the test) in its
// run's artifact folder, where the version's storage_location points. The agent's tools and the
// CLI take models:/name/version and name@alias; the report names the versions.

const PYTHON = '/usr/bin/python3';
const hex = (c: string): string => c.repeat(32);

describe('Compare Models on two registry versions', function () {
  this.timeout(240_000);
  let dir: string;
  let expected: { linear: { accuracy: number }; mlp: { accuracy: number } };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-ab-registry-'));
    const trained = join(dir, 'trained');
    mkdirSync(trained);
    expected = JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'support', 'ab_torch_models.py'), 'torch', trained], { encoding: 'utf8' })) as typeof expected;
    const mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, [{ name: 'churn', aliases: { champion: 1, challenger: 2 }, versions: [{ version: 1, runId: hex('a') }, { version: 2, runId: hex('b') }, { version: 3, runId: hex('c') }] }]);
    for (const [run, file] of [[hex('a'), 'linear.pt'], [hex('b'), 'mlp.pt']] as const) {
      mkdirSync(join(mlruns, '1', run, 'artifacts', 'model'), { recursive: true });
      copyFileSync(join(trained, file), join(mlruns, '1', run, 'artifacts', 'model', file));
    }
    copyFileSync(join(trained, 'clf.csv'), join(dir, 'clf.csv'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const context = () => ({ files: new WorkspaceFiles([{ name: 'ws', path: dir }]), applyChange: () => Promise.resolve() });

  it('reads models:/name/3, models:/name@alias, name@alias and stages; a path stays a path', () => {
    assert.deepEqual(parseModelRef('models:/churn/3'), { name: 'churn', version: 3 });
    assert.deepEqual(parseModelRef('models:/churn@champion'), { name: 'churn', alias: 'champion' });
    assert.deepEqual(parseModelRef('churn@champion'), { name: 'churn', alias: 'champion' });
    assert.deepEqual(parseModelRef('models:/churn/Production'), { name: 'churn', stage: 'Production' });
    for (const path of ['models/churn.onnx', 'churn@2x.onnx', 'a/b@c', 'model.pkl']) assert.equal(parseModelRef(path), undefined, path);
  });

  it('compare_models_on_data on models:/churn/1 and churn@challenger: the versions\' metrics, named as versions', async () => {
    const tool = compareModelsOnDataTool(() => loadOrt(), () => Promise.resolve(PYTHON), () => dir);
    const result = await tool.run({ a: 'models:/churn/1', b: 'churn@challenger', data: 'clf.csv', target: 'target' }, context(), new AbortController().signal);
    assert.match(result.content, /\| accuracy \| (\d+\.\d+)% \| (\d+\.\d+)% \|/);
    const [, a, b] = /\| accuracy \| (\d+\.\d+)% \| (\d+\.\d+)% \|/.exec(result.content)!;
    assert.equal(Number(a), Number((expected.linear.accuracy * 100).toFixed(2)));
    assert.equal(Number(b), Number((expected.mlp.accuracy * 100).toFixed(2)));
    assert.match(result.content, /\| metric \| churn v1 \(linear\.pt\) \| churn v2 \(mlp\.pt\) \|/);
    assert.match(result.summary ?? '', /churn v[12] \(.*\.pt\) is better than churn v[12]/);
    // The approval covers the versions' files, not the words naming them.
    const scope = await tool.approvalScope!({ a: 'models:/churn/1', b: 'churn@challenger', data: 'clf.csv', target: 'target' }, context());
    assert.match(scope, /linear\.pt:.*\n.*mlp\.pt:.*\n.*clf\.csv:/);
  });

  it('compare_models_on_data\'s approval names the files a reference resolves to; an alias moved after it is refused, not followed', async () => {
    const tool = compareModelsOnDataTool(() => loadOrt(), () => Promise.resolve(PYTHON), () => dir);
    const input = { a: 'churn@champion', b: 'models:/churn/2', data: 'clf.csv', target: 'target' };
    const ctx = context();
    await tool.approvalScope!(input, ctx);
    assert.equal(
      tool.confirmation!(input),
      `Compare churn@champion → mlruns/1/${hex('a')}/artifacts/model/linear.pt and models:/churn/2 → mlruns/1/${hex('b')}/artifacts/model/mlp.pt on clf.csv (target target) with your Python (loading a pickle or a TorchScript archive runs code from the file)`,
    );
    // The alias moves to v2 between the user's yes and the run: nothing the user did not see is loaded.
    const alias = join(dir, 'mlruns', 'models', 'churn', 'aliases', 'champion');
    writeFileSync(alias, '2');
    try {
      await assert.rejects(tool.run(input, ctx, new AbortController().signal), new RegExp(`^ToolInputError: Nothing run: churn@champion now resolves to mlruns/1/${hex('b')}/artifacts/model/mlp\\.pt, not mlruns/1/${hex('a')}/artifacts/model/linear\\.pt that the user approved`));
    } finally {
      writeFileSync(alias, '1');
    }
  });

  it('a version whose folder is outside the workspace is refused before it is walked', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'mle-ab-outside-'));
    try {
      copyFileSync(join(dir, 'trained', 'linear.pt'), join(outside, 'linear.pt'));
      writeFileStoreRegistry(join(dir, 'mlruns'), [{ name: 'stray', versions: [{ version: 1, runId: hex('d') }] }]);
      const meta = join(dir, 'mlruns', 'models', 'stray', 'version-1', 'meta.yaml');
      writeFileSync(meta, readFileSync(meta, 'utf8').replace(/^storage_location: .*$/m, `storage_location: file://${outside}`));
      const tool = compareModelsTool(() => loadOrt());
      // The folder itself is named (not a file found in it): the check came before the walk.
      await assert.rejects(tool.run({ a: 'models:/stray/1', b: 'models:/churn/1', benchmark: false }, context(), new AbortController().signal), (e: Error) => e.message.startsWith(`models:/stray/1: ${outside} is outside the workspace`));
    } finally {
      rmSync(join(dir, 'mlruns', 'models', 'stray'), { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a missing alias, version, model or file says which, with what there is', async () => {
    const tool = compareModelsTool(() => loadOrt());
    const run = (a: string, b: string) => tool.run({ a, b, benchmark: false }, context(), new AbortController().signal);
    await assert.rejects(run('churn@nope', 'models:/churn/1'), /churn@nope: churn has no alias @nope \(its aliases: @challenger, @champion\)\./);
    await assert.rejects(run('models:/churn/9', 'models:/churn/1'), /models:\/churn\/9: churn has no version 9 \(its versions: 3, 2, 1\)\./);
    await assert.rejects(run('models:/other/1', 'models:/churn/1'), /models:\/other\/1: no registered model "other" \(registered: churn\)\./);
    await assert.rejects(run('models:/churn/3', 'models:/churn/1'), /models:\/churn\/3: churn v3's files are not on this machine/);
    const ok = await run('churn@champion', 'churn@challenger');
    assert.match(ok.content, /# churn v1 \(linear\.pt\) vs churn v2 \(mlp\.pt\)/);
  });

  it('`ml-engineer compare-models models:/churn/1 churn@challenger --data clf.csv --target target`', async () => {
    let out = '';
    let err = '';
    const code = await runCli(['compare-models', 'models:/churn/1', 'churn@challenger', '--data', 'clf.csv', '--target', 'target'], { out: (t) => (out += t), err: (t) => (err += t), env: { ML_ENGINEER_PYTHON: PYTHON }, cwd: dir }, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
    assert.equal(code, 0, err);
    assert.match(out, /^churn v[12] \((linear|mlp)\.pt\) is better than churn v[12] \((linear|mlp)\.pt\) on ROC AUC/);
  });
});
