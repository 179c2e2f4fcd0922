import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { ModelFormatError } from '../../src/models/fileWindow';
import { inspectModel } from '../../src/models/inspectModel';

// Every model reader fed mutated real files (bytes flipped, cut, spliced): it returns a result or a
// ModelFormatError, in bounded time, and never reads more than the file holds.

const corpora = join(__dirname, '..', '..', '..', 'shared', 'corpora');
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      flips: fc.array(fc.record({ at: fc.nat(base.length - 1), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 6 }),
      cut: fc.option(fc.nat(base.length), { nil: undefined }),
      insertAt: fc.option(fc.nat(base.length), { nil: undefined }),
      insert: fc.uint8Array({ maxLength: 32 }),
    })
    .map(({ flips, cut, insertAt, insert }) => {
      let out = Uint8Array.from(base);
      for (const { at, xor } of flips) out[at] = out[at]! ^ xor;
      if (insertAt !== undefined) out = Uint8Array.from([...out.subarray(0, insertAt), ...insert, ...out.subarray(insertAt)]);
      return cut !== undefined ? out.subarray(0, cut) : out;
    });
}

describe('model readers under fuzzing (mutated real files)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'mle-model-fuzz-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string][] = [
    ['onnx', join(corpora, 'onnx', 'light', 'light_squeezenet.onnx')],
    ['onnx', join(corpora, 'onnx', 'external_data', 'simple_cnn.onnx')],
    ['onnx', join(corpora, 'onnx', 'node', 'test_if_opt.onnx')],
    ['safetensors', join(__dirname, '..', '..', 'examples', 'models', 'tiny_classifier.safetensors')],
    ['gguf', join(corpora, 'gguf', 'ggml-vocab-llama-spm.gguf')],
    // Written by torch 1.13 (test/support/write_pytorch_files.py): a zip archive, the legacy pickle format, a checkpoint.
    ['pt', join(__dirname, '..', 'fixtures', 'models', 'state_dict.pt')],
    ['pt', join(__dirname, '..', 'fixtures', 'models', 'legacy.pt')],
    ['ckpt', join(__dirname, '..', 'fixtures', 'models', 'model.ckpt')],
    // Written by scikit-learn 1.2 / joblib 1.2 (Debian): pickle.dump of a pipeline, joblib.dump plain and zlib-compressed.
    ['pkl', join(__dirname, '..', 'fixtures', 'models', 'pipeline.pkl')],
    ['joblib', join(__dirname, '..', 'fixtures', 'models', 'forest.joblib')],
    ['joblib', join(__dirname, '..', 'fixtures', 'models', 'forest_z.joblib')],
  ];
  for (const [ext, source] of cases) {
    it(`${source.split('/').slice(-2).join('/')}: a result or a clear error, quickly`, () => {
      const base = readFileSync(source);
      const path = join(dir, `model.${ext}`);
      fc.assert(
        fc.property(mutated(base.length > 200_000 ? base.subarray(0, 200_000) : base), (data) => {
          writeFileSync(path, data);
          const t = performance.now();
          try {
            const info = inspectModel(path);
            // Subgraphs (If / Loop bodies) are read again when walked: at most once per nesting level.
            assert.ok(info.bytesRead <= 64 * data.length + 4096, `read ${info.bytesRead} of ${data.length} bytes`);
            assert.ok(info.tensors.length <= 500);
          } catch (error) {
            if (!(error instanceof ModelFormatError)) throw error;
            assert.ok(error.message.length > 10);
          }
          assert.ok(performance.now() - t < 2000, 'bounded time');
        }),
        { numRuns: RUNS },
      );
    });
  }
});
