import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { ModelFormatError } from '../../src/models/fileWindow';
import { inspectModel } from '../../src/models/inspectModel';
import { zipArchive } from '../support/hostileFiles';

// PyTorch files written by the real torch (Debian python3-torch: scripts/ensure-prerequisites.sh)
// read by our reader without running their pickles, tensor by tensor against what torch.load sees:
// state dicts, the legacy format, fp16/bf16/bool/int64 and views, a Lightning-style checkpoint with
// optimizer state, a pickled nn.Module, a dynamically quantized model, and a TorchScript archive.

const PYTHON = '/usr/bin/python3';

describe('PyTorch reader against torch.load', function () {
  this.timeout(120_000);
  let dir: string;
  let expected: Record<string, { tensors: Record<string, [string, number[]]>; scalars: Record<string, string> }>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-torch-'));
    expected = JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'support', 'write_pytorch_files.py'), dir], { encoding: 'utf8' })) as typeof expected;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the same tensors (names, dtypes, shapes) as torch.load, for every kind of file torch writes', () => {
    assert.equal(Object.keys(expected).length, 7);
    for (const [file, want] of Object.entries(expected)) {
      const info = inspectModel(join(dir, file));
      assert.equal(info.format, 'pytorch', file);
      const got: Record<string, [string, readonly (number | string)[]]> = Object.fromEntries(info.tensors.map((t) => [t.name, [t.dtype, t.shape]]));
      if (file === 'quantized.pt') {
        // torch.load shows the packed weight as one tensor; the file stores it as its pieces (qint8 weight, bias).
        assert.deepEqual(got['0.scale'], want.tensors['0.scale']);
        assert.ok(Object.values(got).some(([dtype]) => dtype === 'qint8'), 'the int8 weight is listed');
        continue;
      }
      if (file === 'traced.pt') {
        // TorchScript stores parameters as module attributes under its own names: the same tensors.
        assert.deepEqual(Object.values(got).map(([d, s]) => `${d}${JSON.stringify(s)}`).sort(), Object.values(want.tensors).map(([d, s]) => `${d}${JSON.stringify(s)}`).sort(), file);
        assert.match(info.facts.map((f) => f.value).join(' '), /TorchScript/);
        continue;
      }
      assert.deepEqual(got, want.tensors, file);
      for (const [key, value] of Object.entries(want.scalars)) assert.equal(info.metadata[key], value, `${file}: ${key}`);
    }
  });

  it('counts parameters and storage bytes, and warns about pickled classes only where there are some', () => {
    const sd = inspectModel(join(dir, 'state_dict.pt'));
    assert.equal(sd.parameterCount, 8 * 3 * 3 * 3 + 8 + 4 * 8 + 1 + 288 * 10 + 10);
    assert.equal(sd.bytesByDtype.float32, (8 * 3 * 3 * 3 + 8 + 4 * 8 + 288 * 10 + 10) * 4);
    assert.deepEqual(sd.problems, []);
    assert.match((inspectModel(join(dir, 'full_model.pth')).warnings ?? []).join(), /__main__\.Net.*torch\.load runs their code/);
    assert.match(inspectModel(join(dir, 'model.ckpt')).facts.find((f) => f.label === 'Contents')!.value, /Lightning checkpoint/);
    // A view's storage is the whole base tensor: 10x10 floats, though the tensor is 3x10.
    assert.equal(inspectModel(join(dir, 'mixed.pt')).bytesByDtype.float32, 400);
  });

  it('reads only the pickle and the directory, not the weights', () => {
    const info = inspectModel(join(dir, 'model.ckpt'));
    const pickle = info.bytesRead;
    assert.ok(pickle < readFileSync(join(dir, 'model.ckpt')).length / 2, `${pickle} bytes read`);
  });

  it('refuses damaged and hostile files with a clear error, in bounded time', () => {
    const data = readFileSync(join(dir, 'state_dict.pt'));
    const cases: [string, Buffer][] = [
      ['truncated', data.subarray(0, data.length - 100)],
      ['no central directory', data.subarray(0, 200)],
      ['a pickle that is not torch', Buffer.from([0x80, 0x02, 0x4b, 0x05, 0x2e])],
      ['a pickle with an unknown opcode', Buffer.from([0x80, 0x02, 0xff, 0x2e])],
      ['a pickle that never stops', Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(1000, 0x28)])],
    ];
    for (const [label, bytes] of cases) {
      const path = join(dir, `bad-${label.replace(/\W+/g, '_')}.pt`);
      writeFileSync(path, bytes);
      const start = performance.now();
      assert.throws(() => inspectModel(path), ModelFormatError, label);
      assert.ok(performance.now() - start < 1000, label);
    }
  });

  it('refuses a zip bomb: a small deflated data.pkl that claims gigabytes', () => {
    const bomb = deflateRawSync(Buffer.alloc(300 * 1024 * 1024, 0x28)); // 300 MB of MARKs, ~300 KB deflated
    const path = join(dir, 'bomb.pt');
    writeFileSync(path, zipArchive([{ name: 'archive/data.pkl', data: bomb, deflated: { size: 300 * 1024 * 1024 } }]));
    assert.throws(() => inspectModel(path), /more than the|does not inflate/);
  });

  it('reads a Keras .keras archive: layers, inputs and the parameters its config determines', () => {
    const config = {
      module: 'keras', class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8], dtype: 'float32', name: 'input_layer' } },
          { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 16, activation: 'relu', use_bias: true }, build_config: { input_shape: [null, 8] } },
          { module: 'keras.layers', class_name: 'Dropout', config: { name: 'dropout', rate: 0.1 }, build_config: { input_shape: [null, 16] } },
          { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense_1', units: 3, activation: 'softmax', use_bias: true }, build_config: { input_shape: [null, 16] } },
        ],
      },
    };
    const path = join(dir, 'model.keras');
    writeFileSync(path, zipArchive([
      { name: 'metadata.json', data: Buffer.from(JSON.stringify({ keras_version: '3.6.0', date_saved: '2024-11-19@12:41:49' })) },
      { name: 'config.json', data: Buffer.from(JSON.stringify(config)) },
      { name: 'model.weights.h5', data: Buffer.from('\x89HDF\r\n\x1a\n') },
    ]));
    const info = inspectModel(path);
    assert.equal(info.format, 'keras');
    assert.equal(info.parameterCount, 8 * 16 + 16 + 16 * 3 + 3);
    assert.deepEqual(info.inputs, [{ name: 'input_layer', dtype: 'float32', shape: ['batch', 8] }]);
    assert.deepEqual(info.operators, { Dense: 2, InputLayer: 1, Dropout: 1 });
    assert.equal(info.facts.find((f) => f.label === 'Keras version')?.value, '3.6.0');
    assert.deepEqual(info.problems, []);
  });
});
