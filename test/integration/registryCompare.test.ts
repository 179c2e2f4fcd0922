import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegistryFileStore } from '../../src/tracking/registry/registryFileStore';
import { promotionSummary } from '../../src/tracking/registry/registryPromote';
import { versionFacts } from '../../src/tracking/registry/versionFacts';
import { versionModelPath } from '../../src/tracking/registry/versionFiles';
import { writeFileStoreRegistry, type FakeModel } from '../support/registryFixtures';

// Promote…'s comparison of the candidate with the version holding the alias now, on MLmodel files
// MLflow wrote (test/fixtures/mlflow-models, from MLflow's repository) placed in the versions'
// artifact folders of a FileStore laid out as MLflow lays it out: inputs and outputs from the
// signature (a change is a warning), size on disk, and whether latency can be measured.

const FIXTURES = join(__dirname, '..', 'fixtures', 'mlflow-models');
const ONNX = '/work/shared/corpora/onnx/simple/test_single_relu_model.onnx';
const hex = (c: string): string => c.repeat(32);
const MODELS: FakeModel[] = [
  {
    name: 'assistant',
    aliases: { champion: 2 },
    versions: [
      { version: 1, runId: hex('a') },
      { version: 2, runId: hex('b') },
      { version: 3, runId: hex('c') },
      { version: 4, runId: hex('d') },
    ],
  },
];

describe('Promote… compares the candidate with the version holding the alias', () => {
  let dir: string;
  let mlruns: string;
  const modelDir = (run: string): string => join(mlruns, '1', run, 'artifacts', 'model');
  const place = (run: string, fixture: string, extra: Record<string, number> = {}): void => {
    mkdirSync(modelDir(run), { recursive: true });
    copyFileSync(join(FIXTURES, fixture, 'MLmodel'), join(modelDir(run), 'MLmodel'));
    for (const [name, bytes] of Object.entries(extra)) writeFileSync(join(modelDir(run), name), Buffer.alloc(bytes));
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-regcmp-'));
    mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, MODELS);
    place(hex('a'), 'sklearn-1.30.1', { 'model.pkl': 2048 });
    place(hex('b'), 'pyfunc-2.7.1', { 'python_model.pkl': 10_000 });
    place(hex('c'), 'langchain-2.12.2', { 'lc_model.py': 30_000 });
    place(hex('d'), 'pyfunc-2.7.1', { 'python_model.pkl': 12_000 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const model = () => readRegistryFileStore(mlruns).models[0]!;
  const factsOf = (v: { version: number; runId?: string; source?: string; storageLocation?: string }) => {
    const path = versionModelPath(v as never, undefined, { kind: 'mlflow', root: mlruns });
    return path ? versionFacts(path) : undefined;
  };

  it('reads inputs, outputs, flavors and size from MLflow\'s MLmodel files', () => {
    const lc = versionFacts(modelDir(hex('c')));
    assert.deepEqual(lc.inputs, ['messages: array<object{content: string, role: string}>']);
    assert.deepEqual(lc.outputs, ['string'], 'an unnamed output is its type');
    assert.equal(lc.params, undefined, 'params: null');
    assert.deepEqual(lc.flavors, ['langchain', 'python_function']);
    assert.equal(lc.mlflowVersion, '2.12.2');
    assert.equal(lc.sizeBytes, 30_000 + statSync(join(modelDir(hex('c')), 'MLmodel')).size, 'the files on disk, not model_size_bytes');
    const py = versionFacts(modelDir(hex('b')));
    assert.deepEqual(py.inputs, ['test_model_input: double']);
    assert.deepEqual(py.outputs, ['test_model_output: tensor float64 [-1]']);
    const sk = versionFacts(modelDir(hex('a')));
    assert.equal(sk.inputs, undefined, 'MLflow 1.30 logged no signature');
    assert.deepEqual(sk.flavors, ['python_function', 'sklearn']);
    assert.deepEqual(sk.problems, []);
  });

  it('a changed signature is a warning, shown first, with what goes and what comes', () => {
    const m = model();
    const v3 = m.versions.find((v) => v.version === 3)!;
    const text = promotionSummary(m, v3, { kind: 'alias', alias: 'champion' }, () => undefined, factsOf);
    assert.match(text, /^assistant @champion: v2 → v3\n\n⚠ The inputs change: whatever calls v2 today may break on v3\.\n⚠ The outputs change/);
    assert.match(text, /Inputs: CHANGED\n {4}− test_model_input: double {2}\(v2\)\n {4}\+ messages: array<object\{content: string, role: string\}> {2}\(v3\)/);
    assert.match(text, /Outputs: CHANGED\n {4}− test_model_output: tensor float64 \[-1\] {2}\(v2\)\n {4}\+ string {2}\(v3\)/);
    assert.match(text, /Flavors: CHANGED, python_function → langchain, python_function/);
    assert.match(text, /Size: 10\.3 KB → 30\.9 KB \(\+200%\)/);
    assert.match(text, /Latency: not measured \(v2 is python_function, v3 is langchain\/python_function; the benchmark runs ONNX models\)/);
  });

  it('the same signature says "same"; a side without one is said, not compared', () => {
    const m = model();
    const same = promotionSummary(m, m.versions.find((v) => v.version === 4)!, { kind: 'alias', alias: 'champion' }, () => undefined, factsOf);
    assert.doesNotMatch(same, /⚠/);
    assert.match(same, /Inputs: same \(test_model_input: double\)/);
    assert.match(same, /Outputs: same \(test_model_output: tensor float64 \[-1\]\)/);
    assert.match(same, /Size: 10\.3 KB → 12\.3 KB \(\+19%\)/);
    const none = promotionSummary(m, m.versions.find((v) => v.version === 1)!, { kind: 'alias', alias: 'champion' }, () => undefined, factsOf);
    assert.match(none, /Inputs: v2 test_model_input: double; v1 has no signature \(not compared\)/);
    assert.doesNotMatch(none, /⚠/);
  });

  it('both ONNX: latency can be compared; files not on this machine are said', () => {
    copyFileSync(ONNX, join(modelDir(hex('b')), 'model.onnx'));
    copyFileSync(ONNX, join(modelDir(hex('d')), 'model.onnx'));
    const m = model();
    const v4 = m.versions.find((v) => v.version === 4)!;
    assert.equal(factsOf(v4)!.onnx, join(modelDir(hex('d')), 'model.onnx'));
    assert.match(promotionSummary(m, v4, { kind: 'alias', alias: 'champion' }, () => undefined, factsOf), /Latency: both are ONNX/);
    rmSync(modelDir(hex('b')), { recursive: true });
    assert.match(promotionSummary(m, v4, { kind: 'alias', alias: 'champion' }, () => undefined, factsOf), /The model files of v2 are not on this machine: inputs, outputs and size not compared\./);
  });

  it('a damaged MLmodel is a problem in the comparison, never thrown', () => {
    writeFileSync(join(modelDir(hex('c')), 'MLmodel'), 'signature:\n  inputs: "[{not json"\n');
    const facts = versionFacts(modelDir(hex('c')));
    assert.deepEqual(facts.problems, ["MLmodel: the signature's inputs are not JSON"]);
    writeFileSync(join(modelDir(hex('c')), 'MLmodel'), ': : [\n');
    assert.match(versionFacts(modelDir(hex('c'))).problems.join(), /^MLmodel: /);
    const m = model();
    assert.match(promotionSummary(m, m.versions.find((v) => v.version === 3)!, { kind: 'alias', alias: 'champion' }, () => undefined, factsOf), /v3: MLmodel: /);
  });
});
