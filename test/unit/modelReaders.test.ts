import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError } from '../../src/models/fileWindow';
import { torchFileKind } from '../../src/models/export/torchExport';
import { inspectModel } from '../../src/models/inspectModel';
import { modelText } from '../../src/models/inspectSubcommand';
import { totalBytes } from '../../src/models/modelInfo';
import { parameterDefault } from '../../src/models/sklearnParameterDefaults';
import { PickleWriter, zipArchive } from '../support/hostileFiles';

const corpora = join(__dirname, '..', '..', '..', 'shared', 'corpora');

/** A GGUF v3 file as llama.cpp's gguf writer lays it out (little-endian). */
function gguf(kv: [string, number, Buffer][], tensors: { name: string; dims: number[]; type: number }[], counts?: { tensors?: bigint; kv?: bigint }): Buffer {
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const u64 = (n: bigint | number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  const str = (s: string): Buffer => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  const parts = [Buffer.from('GGUF'), u32(3), u64(counts?.tensors ?? BigInt(tensors.length)), u64(counts?.kv ?? BigInt(kv.length))];
  for (const [key, type, value] of kv) parts.push(str(key), u32(type), value);
  let offset = 0;
  for (const t of tensors) {
    parts.push(str(t.name), u32(t.dims.length), ...t.dims.map((d) => u64(d)), u32(t.type), u64(offset));
    offset += 64;
  }
  return Buffer.concat(parts);
}
const ggufString = (s: string): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(Buffer.byteLength(s))); return Buffer.concat([b, Buffer.from(s)]); };
const ggufU32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };

describe('model readers (real files from ../shared/corpora)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-models-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every safetensors file: its one tensor, dtype from the file name, and the sample model', () => {
    const files = readdirSync(join(corpora, 'safetensors')).filter((f) => f.endsWith('.safetensors'));
    assert.equal(files.length, 9);
    for (const file of files) {
      const info = inspectModel(join(corpora, 'safetensors', file));
      assert.deepEqual(info.problems, [], file);
      assert.equal(info.tensorCount, 1, file);
      assert.equal(info.tensors[0]!.dtype, file.split('_')[1]!.replace('.safetensors', ''), file);
    }
    const tiny = inspectModel(join(__dirname, '..', '..', 'examples', 'models', 'tiny_classifier.safetensors'));
    assert.equal(tiny.parameterCount, 195);
    assert.deepEqual(tiny.metadata, { format: 'pt' });
  });

  it('reads every ONNX model, and agrees with the corpus manifest on IR version, opset and operators', () => {
    const manifest = readFileSync(join(corpora, 'onnx', 'MANIFEST.md'), 'utf8');
    // The manifest also lists models the corpus does not keep: check every one that is here.
    const rows = [...manifest.matchAll(/^\| ([\w/.-]+\.onnx) \|.*\| ir=(\d+); opset=([\w.]+):(\d+)(?:, [\w.]+:\d+)*; ops=([^|]*?)\s*\|$/gm)].filter(([, file]) => existsSync(join(corpora, 'onnx', file!)));
    const onDisk = readdirSync(join(corpora, 'onnx'), { recursive: true }).filter((f) => String(f).endsWith('.onnx'));
    assert.equal(rows.length, onDisk.length, 'every model on disk has a manifest row');
    for (const [, file, ir, domain, version, ops] of rows) {
      const info = inspectModel(join(corpora, 'onnx', file!));
      assert.equal(info.facts.find((f) => f.label === 'IR version')?.value, ir, file);
      assert.ok(info.opsets!.some((o) => o.domain === domain && o.version === Number(version)), `${file}: ${JSON.stringify(info.opsets)}`);
      // The manifest lists the operators sorted, cut at 70 characters.
      const ours = Object.keys(info.operators!).sort().join(', ');
      assert.ok(ours.startsWith(ops!.trim()) || ops!.trim().startsWith(ours), `${file}: ${ours} vs ${ops}`);
      assert.ok(info.outputs!.length > 0, file);
    }
  });

  it('reads a model with external data without reading the weights, and symbolic batch dims', () => {
    const info = inspectModel(join(corpora, 'onnx', 'external_data', 'simple_cnn.onnx'));
    assert.deepEqual(info.externalData, ['simple_cnn.onnx.data']);
    assert.deepEqual(info.inputs, [{ name: 'x', dtype: 'float32', shape: ['batch_size', 3, 32, 32] }]);
    assert.deepEqual(info.outputs, [{ name: 'linear', dtype: 'float32', shape: ['batch_size', 10] }]);
    assert.equal(info.parameterCount, 25580);
    assert.equal(info.bytesByDtype.float32, 25578 * 4);
  });

  it("counts the external data file in the model's size: 9.8 KB of graph, 100 KB of weights beside it", () => {
    const path = join(corpora, 'onnx', 'external_data', 'simple_cnn.onnx');
    const info = inspectModel(path);
    const weights = statSync(join(corpora, 'onnx', 'external_data', 'simple_cnn.onnx.data')).size;
    assert.deepEqual(info.externalDataBytes, [weights]);
    assert.equal(totalBytes(info), statSync(path).size + weights);
    assert.match(modelText(info), /format: onnx, 110 KB \(9\.8 KB \+ 100 KB external data\)/);
    // A missing file (or one the folder rule refuses) counts nothing, and is said to be missing.
    const dir = mkdtempSync(join(tmpdir(), 'mle-external-'));
    copyFileSync(path, join(dir, 'simple_cnn.onnx'));
    const alone = inspectModel(join(dir, 'simple_cnn.onnx'));
    assert.deepEqual(alone.externalDataBytes, [null]);
    assert.equal(totalBytes(alone), alone.fileBytes);
    rmSync(dir, { recursive: true, force: true });
  });

  it('skips initializer data: reading a model with 64 MB of raw weights reads a few kilobytes', () => {
    // The light squeezenet with one 64 MB initializer spliced into its graph (raw_data, as exporters write it).
    const base = readFileSync(join(corpora, 'onnx', 'external_data', 'simple_cnn.onnx'));
    const varint = (n: number): number[] => { const out: number[] = []; while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); } out.push(n); return out; };
    const raw = Buffer.alloc(64 * 1024 * 1024);
    const name = Buffer.from('big_weight');
    const tensor = Buffer.concat([Buffer.from([0x08, ...varint(4096), 0x08, ...varint(4096), 0x10, 0x01, 0x42, ...varint(name.length)]), name, Buffer.from([0x4a, ...varint(raw.length)]), raw]);
    const graphField = Buffer.concat([Buffer.from([0x2a, ...varint(tensor.length)]), tensor]);
    const graph = Buffer.concat([Buffer.from([0x3a, ...varint(graphField.length)]), graphField]); // a second graph field merges into the first
    const file = join(dir, 'big.onnx');
    writeFileSync(file, Buffer.concat([base, graph]));
    const info = inspectModel(file);
    assert.equal(info.tensors.at(-1)!.name, 'big_weight');
    assert.deepEqual(info.tensors.at(-1)!.shape, [4096, 4096]);
    assert.ok(info.bytesRead < 200_000, `read ${info.bytesRead} bytes`);
  });

  it('reads a GGUF header: metadata (long arrays shortened), tensor infos and quantization types', () => {
    const tokens = Buffer.concat([ggufU32(8), (() => { const b = Buffer.alloc(8); b.writeBigUInt64LE(50000n); return b; })(), ...Array.from({ length: 50000 }, (_, i) => ggufString(`tok${i}`))]);
    const file = join(dir, 'tiny.gguf');
    writeFileSync(file, gguf(
      [['general.architecture', 8, ggufString('llama')], ['general.name', 8, ggufString('Tiny')], ['llama.context_length', 4, ggufU32(4096)], ['tokenizer.ggml.tokens', 9, tokens]],
      [{ name: 'token_embd.weight', dims: [64, 1000], type: 12 }, { name: 'output_norm.weight', dims: [64], type: 0 }],
    ));
    const info = inspectModel(file);
    assert.equal(info.format, 'gguf');
    assert.deepEqual(info.facts.slice(0, 3), [{ label: 'GGUF version', value: '3' }, { label: 'Architecture', value: 'llama' }, { label: 'Name', value: 'Tiny' }]);
    assert.match(info.metadata['tokenizer.ggml.tokens']!, /^\[tok0, tok1, .*tok7, … 50000 STRING items\]$/);
    assert.deepEqual(info.tensors.map((t) => [t.name, t.dtype, t.shape]), [['token_embd.weight', 'Q4_K', [1000, 64]], ['output_norm.weight', 'F32', [64]]]);
    assert.equal(info.parameterCount, 64_064);
    assert.equal(info.bytesByDtype.Q4_K, (64_000 / 256) * 144);
  });

  it('reports the damaged GGUF files of the corpus as damaged, naming where, quickly', () => {
    for (const file of readdirSync(join(corpora, 'gguf')).filter((f) => f.endsWith('.gguf'))) {
      const t = performance.now();
      assert.throws(() => inspectModel(join(corpora, 'gguf', file)), (e: Error) => e instanceof ModelFormatError && /at byte \d+/.test(e.message), file);
      assert.ok(performance.now() - t < 1000);
    }
  });

  it('refuses impossible headers without allocating what they claim, and truncated files, with clear errors', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['huge.safetensors', Buffer.concat([(() => { const b = Buffer.alloc(8); b.writeBigUInt64LE(2n ** 60n); return b; })(), Buffer.from('{}')]), /100 MB limit/],
      ['cut.safetensors', readFileSync(join(corpora, 'safetensors', 'f_F32.safetensors')).subarray(0, 50), /truncated/],
      ['notjson.safetensors', Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{no}')]), /not valid UTF-8 JSON/],
      ['many.gguf', gguf([], [], { tensors: 2n ** 50n }), /more than a \d+-byte file can hold/],
      ['v1.gguf', Buffer.concat([Buffer.from('GGUF'), Buffer.from([1, 0, 0, 0]), Buffer.alloc(16)]), /version 1/],
      ['garbage.onnx', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 67 + 13) & 0xff)), /./],
      ['cut.onnx', readFileSync(join(corpora, 'onnx', 'light', 'light_squeezenet.onnx')).subarray(0, 5000), /runs past|truncated|no graph/],
      ['empty.onnx', Buffer.alloc(0), /empty/],
      ['model.bin', Buffer.from('hello world, not a model'), /not a model format/],
      ['model.pt', Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(20)]), /zip archive/],
    ];
    for (const [name, bytes, pattern] of cases) {
      writeFileSync(join(dir, name), bytes);
      assert.throws(() => inspectModel(join(dir, name)), (e: Error) => e instanceof ModelFormatError && pattern.test(e.message), name);
    }
  });

  it('tells TorchScript, a pickled module and weights apart by the archive\'s structure, never by words in it', () => {
    const module = (cls: string): Buffer => new PickleWriter().global(cls.slice(0, cls.lastIndexOf('.')), cls.slice(cls.lastIndexOf('.') + 1)).emptyTuple().newobj().emptyDict().text('training').op(0x89).setitem().build().stop();
    const checkpoint = new PickleWriter().emptyDict().text('TorchScript').int(1).setitem().text('a pickled __torch__.M object').int(2).setitem().stop();
    const archive = (data: Buffer, extra: string[]): Buffer => zipArchive([{ name: 'm/data.pkl', data }, ...extra.map((name) => ({ name: `m/${name}`, data: name === 'constants.pkl' ? new PickleWriter().emptyTuple().stop() : Buffer.from('3\n') }))]);
    const cases: [string, Buffer, string][] = [
      // What torch.jit.save writes: a __torch__ class in data.pkl, constants.pkl, code/__torch__/*.py, version.
      ['scripted.pt', archive(module('__torch__.torch.nn.modules.container.Sequential'), ['constants.pkl', 'code/__torch__/torch/nn/modules/container.py', 'version']), 'torchscript'],
      // The same layout around a plain class is a pickled module; a code/ folder alone makes nothing TorchScript.
      ['fake.pt', archive(module('__main__.Net'), ['constants.pkl', 'code/__torch__/m.py', 'version']), 'pickled-module'],
      ['code.pt', archive(checkpoint, ['code/__torch__/m.py', 'version']), 'weights'],
      // A checkpoint whose keys say "TorchScript" and "a pickled … object" is weights.
      ['words.pt', archive(checkpoint, ['version']), 'weights'],
      ['net.pt', archive(module('__main__.Net'), ['version']), 'pickled-module'],
    ];
    for (const [name, bytes, kind] of cases) {
      writeFileSync(join(dir, name), bytes);
      const info = inspectModel(join(dir, name));
      assert.equal(info.torchKind, kind, name);
      assert.equal(torchFileKind(info), kind, name);
      assert.equal(info.facts[0]!.value, kind === 'torchscript' ? 'TorchScript archive (torch.jit.save)' : 'PyTorch zip archive (torch.save)', name);
    }
  });
});

describe('scikit-learn defaults (src/models/sklearnDefaults.ts, made by scripts/sklearn-defaults.py)', () => {
  it('marks a value that differs from the default, compared as Python writes it', () => {
    const logistic = (param: string, value: string) => parameterDefault('sklearn.linear_model._logistic', 'LogisticRegression', param, value);
    assert.deepEqual(logistic('C', '0.5'), { default: '1', differs: true });
    assert.deepEqual(logistic('C', '1'), { default: '1', differs: false });
    assert.deepEqual(logistic('tol', '0.0001'), { default: '0.0001', differs: false });
    assert.deepEqual(logistic('solver', 'lbfgs'), { default: 'lbfgs', differs: false });
    assert.deepEqual(logistic('solver', 'saga'), { default: 'lbfgs', differs: true });
    assert.deepEqual(logistic('class_weight', 'None'), { default: 'None', differs: false });
    assert.deepEqual(logistic('class_weight', 'balanced'), { default: 'None', differs: true });
    assert.deepEqual(logistic('warm_start', 'True'), { default: 'False', differs: true });
    assert.deepEqual(logistic('max_iter', 'None'), { default: '100', differs: true });
    // A float default JSON cannot hold: nan, as the reader writes NaN.
    assert.deepEqual(parameterDefault('sklearn.impute._knn', 'KNNImputer', 'missing_values', 'NaN'), { default: 'nan', differs: false });
    // An old pickle's module path (sklearn.linear_model.logistic, before 0.22) is still scikit-learn's class.
    assert.deepEqual(parameterDefault('sklearn.linear_model.logistic', 'LogisticRegression', 'C', '2'), { default: '1', differs: true });
  });

  it('says "default unknown" (null) for other libraries, unknown classes and parameters, and names from the file that are Object keys', () => {
    const unknown = { default: null, differs: null };
    assert.deepEqual(parameterDefault('xgboost.sklearn', 'XGBClassifier', 'max_depth', '6'), unknown);
    assert.deepEqual(parameterDefault('lightgbm.sklearn', 'LogisticRegression', 'C', '0.5'), unknown, 'not scikit-learn, whatever the name');
    assert.deepEqual(parameterDefault('sklearn.somewhere', 'NotAnEstimator', 'C', '1'), unknown);
    assert.deepEqual(parameterDefault('sklearn.linear_model._logistic', 'LogisticRegression', 'not_a_parameter', '1'), unknown);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      assert.deepEqual(parameterDefault('sklearn.x', name, name, '1'), unknown, name);
      assert.deepEqual(parameterDefault('sklearn.linear_model._logistic', 'LogisticRegression', name, '1'), unknown, name);
    }
  });
});
