import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { exportModelTool } from '../../src/models/export/exportTool';
import { describeSklearnCheck, exportSklearnModel, missingForSklearnExport, sklearnExportPath } from '../../src/models/export/sklearnExport';
import { ModelFormatError } from '../../src/models/fileWindow';
import { inspectModel } from '../../src/models/inspectModel';

// scikit-learn models written by the real scikit-learn and joblib (Debian python3-sklearn:
// scripts/ensure-prerequisites.sh) in the ways people save them (pickle protocols 2/4/5, joblib
// plain, zlib and gzip), read as data by our reader and compared with what joblib.load shows; and
// Export to ONNX through the same Python, which needs skl2onnx (not packaged by Debian: where it is
// missing, the export must say so and how to install it; where it is there, the export is checked).

const PYTHON = '/usr/bin/python3';

interface Expected {
  class: string;
  version: string;
  n_features_in: number | null;
  classes: string[] | null;
  steps: [string, string][];
  feature_names: string[];
  params: Record<string, string>;
  arrays: Record<string, [string, number[]]>;
  changed: string[];
}

describe('scikit-learn pickles against joblib.load', function () {
  this.timeout(120_000);
  let dir: string;
  let expected: Record<string, Expected>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-sklearn-'));
    expected = JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'support', 'write_sklearn_files.py'), dir], { encoding: 'utf8' })) as Record<string, Expected>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the estimator, version, steps, features, classes, hyperparameters and fitted arrays that loading shows', () => {
    assert.equal(Object.keys(expected).length, 8);
    for (const [file, want] of Object.entries(expected)) {
      const info = inspectModel(join(dir, file));
      const fact = (label: string): string | undefined => info.facts.find((f) => f.label === label)?.value;
      assert.equal(info.format, 'sklearn', file);
      const [cls, module] = [want.class.split('.').pop()!, want.class.split('.').slice(0, -1).join('.')];
      assert.equal(fact('Contents'), `${cls} (${module})`, file);
      assert.match(fact('scikit-learn') ?? '', new RegExp(`^${want.version.replace(/\./g, '\\.')} `), file);
      assert.equal(fact('Features in'), want.n_features_in === null ? undefined : String(want.n_features_in), file);
      if (want.n_features_in !== null) assert.deepEqual(info.inputs, [{ name: 'X', dtype: 'float', shape: ['batch', want.n_features_in] }]);
      if (want.classes) assert.equal(fact('Classes'), `${want.classes.length}: ${want.classes.join(', ')}`, file);
      if (want.steps.length > 0) assert.equal(fact('Steps'), want.steps.map(([n, c]) => `${n}: ${c}`).join(' → '), file);
      if (want.feature_names.length > 0) assert.equal(fact('Feature names'), want.feature_names.join(', '), file);
      assert.equal(fact('Fitted'), file === 'unfitted.pkl' ? 'no (no fitted attributes: fit it before saving)' : 'yes', file);
      // Every scalar hyperparameter get_params() gives, with its value (numbers compared as numbers).
      for (const [key, value] of Object.entries(want.params)) {
        assert.ok(key in info.metadata, `${file}: ${key} missing`);
        const ours = info.metadata[key]!;
        if (/^-?[\d.e+-]+$/.test(value)) assert.equal(Number(ours), Number(value), `${file}: ${key}`);
        else assert.equal(ours, value, `${file}: ${key}`);
      }
      // Every fitted array of the estimators, by path, with numpy's dtype and shape (we also list
      // the trees' own arrays, which live in Cython objects get_params does not reach).
      const arrays = Object.fromEntries(info.tensors.map((t) => [t.name, [t.dtype, t.shape]]));
      for (const [path, dtypeShape] of Object.entries(want.arrays)) assert.deepEqual(arrays[path], dtypeShape, `${file}: ${path}`);
      assert.ok(Object.keys(want.arrays).length > 0 || file === 'unfitted.pkl', file);
      // What loading would do is a warning, not a problem with the file.
      assert.match((info.warnings ?? []).join(), /pickles Python classes \(sklearn\..*runs their code/, file);
      assert.deepEqual(info.problems, [], file);
    }
  });

  it("marks the hyperparameters that differ from their class's default, from the table of scikit-learn's defaults", () => {
    for (const [file, want] of Object.entries(expected)) {
      const info = inspectModel(join(dir, file));
      const defaults = info.parameterDefaults?.parameters ?? [];
      assert.equal(info.parameterDefaults?.version, '1.2.1', file);
      assert.deepEqual(defaults.filter((p) => p.differs).map((p) => p.name).sort(), want.changed.filter((k) => k in info.metadata), file);
      // Every estimator here is scikit-learn's own: the default of each parameter get_params() lists is known
      // (attributes that are not constructor parameters, like a forest's `estimator`, say "default unknown").
      assert.deepEqual(defaults.filter((p) => p.default === null && p.name in want.params).map((p) => p.name), [], file);
    }
    assert.ok(expected['pipe.pkl']!.changed.includes('logisticregression__C') && expected['unfitted.pkl']!.changed.includes('C'));
    const c = inspectModel(join(dir, 'unfitted.pkl')).parameterDefaults?.parameters.find((p) => p.name === 'C');
    assert.deepEqual(c, { name: 'C', default: '1', differs: true });
  });

  it('counts the learned floats and their bytes from the array headers, joblib and pickle alike', () => {
    const pipe = inspectModel(join(dir, 'pipe.pkl'));
    // scaler mean/var/scale (6 each), coef_ 1x6, intercept_ 1
    assert.equal(pipe.parameterCount, 6 * 3 + 6 + 1);
    assert.equal(pipe.bytesByDtype.float64, (6 * 3 + 6 + 1) * 8);
    const forest = inspectModel(join(dir, 'forest.joblib'));
    assert.deepEqual(inspectModel(join(dir, 'forest_z.joblib')).tensors, forest.tensors);
    assert.deepEqual(inspectModel(join(dir, 'forest.joblib.gz')).tensors, forest.tensors);
    assert.match(inspectModel(join(dir, 'forest_z.joblib')).facts[0]!.value, /joblib .*zlib-compressed/);
    // numpy's names (str(dtype)), not bit counts: the string classes are <U3, not str96; a tree's nodes a record.
    const dtypeOf = (name: string): string | undefined => forest.tensors.find((t) => t.name === name)?.dtype;
    assert.equal(dtypeOf('classes_'), '<U3');
    const boost = new Map(inspectModel(join(dir, 'boost.joblib')).tensors.map((t) => [t.name, t.dtype]));
    assert.equal(boost.get('dtype_big_endian_'), '>f4');
    assert.equal(boost.get('dtype_datetime_'), 'datetime64[ns]');
    assert.equal(boost.get('dtype_record_'), "[('name', '<U5'), ('ok', '?'), ('t', '<M8[s]'), ('x', '>f4')]");
    assert.match(dtypeOf('estimators_.0.tree_.nodes') ?? '', /^\[\('left_child', '<i8'\), \('right_child', '<i8'\), .*\('weighted_n_node_samples', '<f8'\)\]$/);
  });

  it('refuses damaged and hostile files with a clear error, in bounded time', () => {
    const good = readFileSync(join(dir, 'forest.joblib'));
    const cases: [string, Buffer, RegExp][] = [
      ['cut.joblib', good.subarray(0, Math.floor(good.length * 0.6)), /cut short|past the end|runs past/],
      ['bomb.joblib', deflateSync(Buffer.alloc(300 * 2 ** 20)), /more than 256 MB/],
      ['garbage.pkl', Buffer.concat([Buffer.from([0x80, 0x04]), Buffer.alloc(64, 0xfe)]), /opcode 0xfe/],
      ['notzlib.joblib', Buffer.from([0x78, 0x9c, 1, 2, 3, 4, 5]), /does not inflate/],
      // Data, not a model: pickle.dumps({'a': 1}, protocol=4).
      ['data.pkl', Buffer.from('8004950a000000000000007d948c0161944b01732e', 'hex'), /a pickle of a dict \(1 keys\), not a scikit-learn model/],
    ];
    for (const [name, bytes, error] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const start = performance.now();
      assert.throws(() => inspectModel(path), (e: unknown) => e instanceof ModelFormatError && error.test(e.message), name);
      // The bomb is inflated up to the cap (256 MB) before it is refused: seconds, not minutes.
      assert.ok(performance.now() - start < 5000, `${name} took ${Math.round(performance.now() - start)} ms`);
    }
  });

  const hasSkl2onnx = (): boolean => {
    try {
      execFileSync(PYTHON, ['-c', 'import skl2onnx'], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };

  it('Export without skl2onnx in the Python: says so, how to install it, and writes nothing', async function () {
    if (hasSkl2onnx()) this.skip();
    // Asked first, so the user is not asked to trust a pickle that cannot be exported anyway.
    assert.equal(await missingForSklearnExport(PYTHON), `skl2onnx is not installed in ${PYTHON}: install it with "${PYTHON} -m pip install skl2onnx onnxruntime", then export again`);
    for (const file of ['pipe.pkl', 'forest_z.joblib']) {
      await assert.rejects(exportSklearnModel(PYTHON, join(dir, file), { cwd: dir }), (e: Error) => {
        assert.match(e.message, new RegExp(`skl2onnx is not installed in ${PYTHON}.*: install it with "${PYTHON} -m pip install skl2onnx onnxruntime", then export again`));
        return true;
      });
      assert.equal(existsSync(sklearnExportPath(join(dir, file))), false);
    }
    const tool = exportModelTool(() => Promise.resolve(PYTHON), () => dir);
    const context = { files: new WorkspaceFiles([{ name: 'ws', path: dir }]), applyChange: () => Promise.resolve() };
    await assert.rejects(tool.run({ path: 'forest.joblib', target: 'onnx' }, context, new AbortController().signal), /skl2onnx is not installed/);
    await assert.rejects(tool.run({ path: 'forest.joblib', target: 'torchscript' }, context, new AbortController().signal), /exports to ONNX only/);
  });

  it('Export with skl2onnx: an ONNX model that predicts what the estimator predicts', async function () {
    if (!hasSkl2onnx()) this.skip();
    assert.equal(await missingForSklearnExport(PYTHON), undefined);
    for (const file of ['pipe.pkl', 'forest_z.joblib', 'boost.joblib']) {
      const result = await exportSklearnModel(PYTHON, join(dir, file), { cwd: dir });
      assert.equal(result.out, sklearnExportPath(join(dir, file)));
      const onnx = inspectModel(result.out);
      assert.deepEqual(onnx.inputs?.[0]?.shape.slice(1), [6], file);
      if (result.check?.agree !== undefined) assert.equal(result.check.agree, result.check.rows, `${file}: ${describeSklearnCheck(result)}`);
      else if (result.check) assert.ok(result.check.maxAbsDiff! < 1e-3, `${file}: ${describeSklearnCheck(result)}`);
    }
  });

  it('Export refuses what is not a fitted estimator, and a pickled class from a script\'s __main__, with the reason', async () => {
    execFileSync(PYTHON, ['-c', 'import pickle\npickle.dump({"a": 1}, open("plain.pkl", "wb"))\nclass Local:\n    pass\npickle.dump(Local(), open("local.pkl", "wb"))'], { cwd: dir });
    await assert.rejects(exportSklearnModel(PYTHON, join(dir, 'plain.pkl'), { cwd: dir }), /holds a dict, not a scikit-learn estimator/);
    await assert.rejects(exportSklearnModel(PYTHON, join(dir, 'local.pkl'), { cwd: dir }), /pickles a class defined in a script's __main__ \(Local\)/);
    await assert.rejects(exportSklearnModel(PYTHON, join(dir, 'unfitted.pkl'), { cwd: dir }), /does not say how many features it takes/);
    assert.equal(sklearnExportPath('/m/forest.joblib.gz'), '/m/forest.onnx');
    assert.equal(sklearnExportPath('/m/model.pkl'), '/m/model.onnx');
  });
});
