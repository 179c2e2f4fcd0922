import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import * as fc from 'fast-check';
import { FileWindow } from '../../src/models/fileWindow';
import type { ModelInfo } from '../../src/models/modelInfo';
import { readZipDirectory, readZipEntry } from '../../src/models/zipArchive';
import { ATTACKS, backwardsBlock, bitRot, mutations, nestingDepth, withPickleDag } from '../support/fuzzMutations';
import { gguf, opcodeRun, pbBytes, zipArchive } from '../support/hostileFiles';
import { isolatedFiles } from '../support/boundedWorker';

// Every model reader fed mutated real files: random damage and the attack shapes (negative
// lengths, huge counts, nesting, memo loops, names Object.prototype owns) spliced into the file,
// or into an entry of a zip archive that is then written again whole. Each case must give a
// result or a ModelFormatError with a message for people, within a time and memory bound per
// case: it runs in a worker with a 256 MB heap (the hostile files issue 14 found took 0.6 to
// 1.9 GB) and must finish in 2 s (they took 14 s to forever; the worker is stopped at 10 s).

const corpora = join(__dirname, '..', '..', '..', 'shared', 'corpora');
const fixtures = join(__dirname, '..', 'fixtures', 'models');
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const MAX_MS = 2000;
/** JavaScript's own words, or this reader's class names: never for users. */
const INTERNALS = /call stack|is not a function|is not iterable|Cannot read prop|undefined|NaN|\[object|function |Pickle(Tuple|Dict|Call|Global|Pid)|index out of range/;

type Summary = ModelInfo & { tensorsListed: number; size: number };

function checkInfo(info: Summary, size: number): void {
  assert.ok(info.bytesRead <= 64 * size + 4096, `read ${info.bytesRead} of ${size} bytes`);
  assert.ok(info.tensorsListed <= 500);
  for (const n of [info.tensorCount, info.parameterCount, ...Object.values(info.bytesByDtype), ...Object.values(info.operators ?? {})]) assert.ok(typeof n === 'number' && !Number.isNaN(n), `a count of ${n}`);
  const text = JSON.stringify([info.facts, info.tensors, info.inputs, info.outputs, info.problems, Object.keys(info.metadata), Object.keys(info.operators ?? {})]);
  assert.doesNotMatch(text, /\[object|function |Pickle(Tuple|Dict|Call|Global|Pid)/);
  assert.ok(info.size < 4_000_000, 'a bounded result');
}

/** A zip archive's entries, with one of them (chosen by the fuzzer) mutated, written again (some deflated). */
function zipMutations(entries: { name: string; data: Uint8Array }[], targets: readonly string[], payloads: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const chosen = entries.filter((e) => targets.some((t) => e.name.endsWith(t)));
  return fc.record({ which: fc.nat(chosen.length - 1), deflate: fc.boolean() }).chain(({ which, deflate }) =>
    mutations(chosen[which]!.data, payloads).map((data) => zipArchive(entries.map((e) => ({ name: e.name, data: e === chosen[which] ? data : e.data, deflate: deflate && e === chosen[which] })))),
  );
}

function unzip(path: string): { name: string; data: Uint8Array }[] {
  const file = new FileWindow(path);
  try {
    return readZipDirectory(file).map((e) => ({ name: e.name, data: readZipEntry(file, e, 2 ** 28) }));
  } finally {
    file.close();
  }
}

/** A valid GGUF v3 file (the corpus ones are damaged at the source): metadata of each kind, a vocabulary, tensors; arrays of arrays `nest` deep. */
function validGguf(nest = 0): Buffer {
  const kv = (key: string, type: number, value: Buffer): Buffer => Buffer.concat([gguf.string(key), gguf.u32(type), value]);
  const tokens = Buffer.concat([gguf.u32(8), gguf.u64(300), ...Array.from({ length: 300 }, (_, i) => gguf.string(`tok${i}`))]);
  const scores = Buffer.concat([gguf.u32(6), gguf.u64(300), Buffer.alloc(1200)]);
  const tensor = (name: string, dims: number[], type: number, offset: number): Buffer => Buffer.concat([gguf.string(name), gguf.u32(dims.length), ...dims.map((d) => gguf.u64(d)), gguf.u32(type), gguf.u64(offset)]);
  const nested = Buffer.concat([...new Array<Buffer>(nest).fill(Buffer.concat([gguf.u32(9), gguf.u64(1)])), gguf.u32(4), gguf.u64(1), gguf.u32(7)]);
  return Buffer.concat([
    gguf.header(3, 3, nest > 0 ? 6 : 5),
    ...(nest > 0 ? [kv('nested', 9, nested)] : []),
    kv('general.architecture', 8, gguf.string('llama')),
    kv('general.name', 8, gguf.string('fuzz')),
    kv('llama.context_length', 4, gguf.u32(4096)),
    kv('tokenizer.ggml.tokens', 9, tokens),
    kv('tokenizer.ggml.scores', 9, scores),
    tensor('token_embd.weight', [64, 300], 12, 0),
    tensor('blk.0.attn_q.weight', [64, 64], 8, 10800),
    tensor('output_norm.weight', [64], 0, 15152),
    Buffer.alloc(16000),
  ]);
}

const nestedJson = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** A .keras archive as Keras 3 writes one: metadata.json, config.json (a Sequential of a nested Functional), weights; `deep` nests a value. */
function keras(deep = 0): { name: string; data: Uint8Array }[] {
  const dense = (name: string, units: number, input: number): unknown => ({ module: 'keras.layers', class_name: 'Dense', config: { name, units, activation: 'relu', use_bias: true, dtype: 'float32' }, build_config: { input_shape: [null, input] } });
  const config = {
    module: 'keras', class_name: 'Sequential',
    config: {
      name: 'sequential', trainable: true, ...(deep > 0 ? { deep: '@deep@' } : {}),
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8], dtype: 'float32', sparse: false, name: 'input_layer' } },
        dense('dense', 16, 8),
        { module: 'keras.layers', class_name: 'Conv1D', config: { name: 'conv', filters: 4, kernel_size: [3], groups: 1, use_bias: true }, build_config: { input_shape: [null, 16, 1] } },
        { module: 'keras', class_name: 'Functional', config: { name: 'inner', layers: [dense('inner_dense', 4, 16), { class_name: 'Dropout', config: { name: 'drop', rate: 0.1 } }] } },
        dense('dense_1', 3, 4),
      ],
    },
  };
  return [
    { name: 'metadata.json', data: Buffer.from(JSON.stringify({ keras_version: '3.6.0', date_saved: '2024-11-19@12:41:49' })) },
    { name: 'config.json', data: Buffer.from(JSON.stringify(config).replace('"@deep@"', nestedJson(deep))) },
    { name: 'model.weights.h5', data: Buffer.from('\x89HDF\r\n\x1a\n') },
  ];
}

describe('model readers under fuzzing (mutated real files, attack shapes spliced in)', function () {
  this.timeout(120_000);
  const files = isolatedFiles('mle-model-fuzz-', { ms: 10_000, heapMb: 256 });

  /** Reads `data` as the file `name` in the worker: a result or a clear ModelFormatError, within the bounds. */
  async function readBounded(name: string, data: Uint8Array): Promise<void> {
    const read = await files.read('model', name, data);
    assert.ok(read.outcome === 'result' || read.outcome === 'error', `the read ended in ${read.outcome} after ${Math.round(read.ms)} ms: ${read.message ?? ''}`);
    if (read.outcome === 'result') checkInfo(JSON.parse(read.summary!) as Summary, data.length);
    else {
      assert.equal(read.errorName, 'ModelFormatError', read.message);
      assert.ok(read.message!.length > 10 && read.message!.length < 3000, read.message!.slice(0, 200));
      assert.doesNotMatch(read.message!, INTERNALS);
    }
    assert.ok(read.ms < MAX_MS, `a read took ${Math.round(read.ms)} ms`);
  }

  /** Each case in the worker; no shrinking after a failure (a failing case can take the full deadline). */
  function fuzz(arbitrary: fc.Arbitrary<Uint8Array>, name: string): Promise<void> {
    return fc.assert(fc.asyncProperty(arbitrary, (data) => readBounded(name, data)), { numRuns: RUNS, endOnFailure: true });
  }

  /** ONNX: fields that sent the old walkers back to their start for ever, at the model, graph and node levels. */
  const backwards = (base: Uint8Array): fc.Arbitrary<Uint8Array> =>
    fc.record({ k: fc.integer({ min: 1, max: 3 }), front: fc.boolean(), level: fc.constantFrom('model', 'graph', 'node') }).map(({ k, front, level }) => {
      const block = level === 'model' ? backwardsBlock(2, k) : level === 'graph' ? pbBytes(7, backwardsBlock(2, k)) : pbBytes(7, pbBytes(1, backwardsBlock(4, k)));
      return front && level === 'model' ? Buffer.concat([block, base]) : Buffer.concat([base, block]);
    });
  const safetensorsNested = nestingDepth.map((depth) => {
    const base = readFileSync(join(__dirname, '..', '..', 'examples', 'models', 'tiny_classifier.safetensors'));
    const size = Number(base.readBigUInt64LE(0));
    const header = base.subarray(8, 8 + size).toString().replace('{', `{"deep":${nestedJson(depth)},`);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
    return Buffer.concat([head, Buffer.from(header), base.subarray(8 + size)]);
  });
  const extra: Record<string, fc.Arbitrary<Uint8Array> | ((base: Uint8Array) => fc.Arbitrary<Uint8Array>)> = {
    onnx: backwards,
    safetensors: safetensorsNested,
    gguf: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 20_000, max: 150_000 })).map((depth) => validGguf(depth)),
  };

  const raw: [string, string, () => Uint8Array, readonly Uint8Array[]][] = [
    ['onnx', 'onnx/light/light_squeezenet.onnx', () => readFileSync(join(corpora, 'onnx', 'light', 'light_squeezenet.onnx')), [...ATTACKS.protobuf, ...ATTACKS.numbers]],
    ['onnx', 'onnx/external_data/simple_cnn.onnx', () => readFileSync(join(corpora, 'onnx', 'external_data', 'simple_cnn.onnx')), ATTACKS.protobuf],
    ['onnx', 'onnx/node/test_if_opt.onnx (subgraphs)', () => readFileSync(join(corpora, 'onnx', 'node', 'test_if_opt.onnx')), ATTACKS.protobuf],
    ['safetensors', 'examples/tiny_classifier.safetensors', () => readFileSync(join(__dirname, '..', '..', 'examples', 'models', 'tiny_classifier.safetensors')), [...ATTACKS.json, ...ATTACKS.numbers]],
    ['gguf', 'a valid GGUF v3 (metadata arrays, tensors)', validGguf, [...ATTACKS.gguf, ...ATTACKS.numbers]],
    ['gguf', 'gguf/ggml-vocab-llama-spm.gguf (damaged at the source)', () => readFileSync(join(corpora, 'gguf', 'ggml-vocab-llama-spm.gguf')).subarray(0, 64 * 1024), ATTACKS.gguf],
    // Written by torch 1.13 (test/support/write_pytorch_files.py): the legacy format is a byte stream of pickles.
    ['pt', 'fixtures/legacy.pt', () => readFileSync(join(fixtures, 'legacy.pt')), [...ATTACKS.pickle, ...ATTACKS.numbers]],
    // Written by scikit-learn 1.2 / joblib 1.2 (Debian): pickle.dump of a pipeline, joblib.dump plain.
    ['pkl', 'fixtures/pipeline.pkl', () => readFileSync(join(fixtures, 'pipeline.pkl')), ATTACKS.pickle],
    ['joblib', 'fixtures/forest.joblib', () => readFileSync(join(fixtures, 'forest.joblib')), [...ATTACKS.pickle, ...ATTACKS.numbers]],
  ];
  for (const [ext, label, load, payloads] of raw) {
    it(`${label}: a result or a clear error, within the bounds`, () => {
      const base = load();
      const name = `model.${ext}`;
      const attack = extra[ext];
      const arbitrary = attack === undefined ? mutations(base, payloads) : fc.oneof(mutations(base, payloads), typeof attack === 'function' ? attack(base) : attack);
      return fuzz(arbitrary, name);
    });
  }

  // Zip archives: the entries' contents are what the readers parse, so they are mutated inside a valid archive too.
  /** data.pkl with a 2^depth-path list graph set into its top dict; or (rarely) 20 million EMPTY_LISTs deflated. */
  const pickleAttacks = (entries: { name: string; data: Uint8Array }[]): fc.Arbitrary<Uint8Array> => {
    const pkl = entries.find((e) => e.name.endsWith('/data.pkl'))!;
    const rebuilt = (data: Uint8Array): Buffer => zipArchive(entries.map((e) => (e === pkl ? { name: e.name, data, deflate: true } : e)));
    return fc.oneof(
      { arbitrary: fc.integer({ min: 20, max: 120 }).map((depth) => rebuilt(withPickleDag(pkl.data, depth))), weight: 8 },
      { arbitrary: fc.constant(rebuilt(opcodeRun([], 0x5d, 20_000_000, []))), weight: 1 },
    );
  };
  const kerasNested = nestingDepth.map((depth) => zipArchive(keras(depth).map((e) => ({ ...e, deflate: true }))));

  const zipped: [string, string, () => { name: string; data: Uint8Array }[], string[], readonly Uint8Array[]][] = [
    ['pt', 'fixtures/state_dict.pt (torch.save zip)', () => unzip(join(fixtures, 'state_dict.pt')), ['data.pkl'], ATTACKS.pickle],
    ['ckpt', 'fixtures/model.ckpt (a checkpoint with optimizer state)', () => unzip(join(fixtures, 'model.ckpt')), ['data.pkl'], ATTACKS.pickle],
    ['pt', 'fixtures/traced.pt (TorchScript, torch.jit.save)', () => unzip(join(fixtures, 'traced.pt')), ['data.pkl', 'constants.pkl'], ATTACKS.pickle],
    ['keras', 'a .keras archive (Keras 3 layout)', keras, ['config.json', 'metadata.json'], [...ATTACKS.json, ...ATTACKS.numbers]],
  ];
  for (const [ext, label, load, targets, payloads] of zipped) {
    it(`${label}: a result or a clear error, within the bounds, whole or entry by entry`, () => {
      const entries = load();
      const whole = zipArchive(entries.map((e) => ({ ...e, deflate: true })));
      const name = `model.${ext}`;
      const attack = ext === 'keras' ? kerasNested : pickleAttacks(entries);
      return fuzz(fc.oneof(zipMutations(entries, targets, payloads), bitRot(whole), attack), name);
    });
  }

  it('fixtures/forest_z.joblib (zlib-compressed joblib): mutated before and after compression', () => {
    const compressed = readFileSync(join(fixtures, 'forest_z.joblib'));
    const pickle = inflateSync(compressed);
    return fuzz(fc.oneof(bitRot(compressed), mutations(pickle, ATTACKS.pickle).map((p) => deflateSync(p))), 'model.joblib');
  });
});
