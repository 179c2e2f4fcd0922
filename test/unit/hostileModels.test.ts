import * as assert from 'node:assert/strict';
import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { batchedLists, gguf, opcodeRun, pbBytes, pbVarint, PickleWriter, safetensors, TORCH_LEGACY_MAGIC, zipArchive } from '../support/hostileFiles';
import { isolatedFiles, type IsolatedRead } from '../support/boundedWorker';

// The hostile model files issue 14 found, rebuilt from the formats (test/support/hostileFiles.ts),
// each read in a worker with a deadline and a heap limit: before the fixes these looped, ran out
// of memory or showed JavaScript's own errors; now each is a result or a ModelFormatError that
// says what is wrong, quickly.

interface Summary {
  format: string;
  tensorCount: number;
  facts: { label: string; value: string }[];
  operators?: Record<string, number>;
  metadata: Record<string, string>;
  bytesByDtype: Record<string, number>;
  problems: string[];
  tensors: { name: string; dtype: string; shape: (number | string)[] }[];
}

const INTERNALS = /call stack|TypeError|RangeError|undefined|NaN|\[object|function |Pickle(Tuple|Dict|Call|Global|Pid)/;

function result(read: IsolatedRead): Summary {
  assert.equal(read.outcome, 'result', JSON.stringify(read));
  return JSON.parse(read.summary!) as Summary;
}

function formatError(read: IsolatedRead, pattern: RegExp): void {
  assert.equal(read.outcome, 'error', JSON.stringify(read));
  assert.equal(read.errorName, 'ModelFormatError', read.message);
  assert.match(read.message!, pattern);
  assert.doesNotMatch(read.message!, INTERNALS);
}

/** L0 = []; L(i+1) = [Li, Li]: 2^depth paths to L0 through a pickle of a few hundred bytes. */
function dagPickle(depth: number, leaf: (p: PickleWriter) => PickleWriter = (p) => p.emptyList()): Buffer {
  const p = leaf(new PickleWriter()).put(0);
  for (let i = 1; i <= depth; i++) p.emptyList().mark().get(i - 1).get(i - 1).appends().put(i);
  return p.stop();
}

const torchZip = (pickle: Uint8Array, deflate = false): Buffer => zipArchive([{ name: 'archive/data.pkl', data: pickle, deflate }, { name: 'archive/version', data: Buffer.from('3\n') }]);

describe('hostile model files (each read in a worker with a deadline and a heap limit)', function () {
  this.timeout(60_000);
  const files = isolatedFiles('mle-hostile-models-', { ms: 10_000, heapMb: 256 });
  const read = (name: string, data: Uint8Array): Promise<IsolatedRead> => files.read('model', name, data);

  describe('pickles', () => {
    it('a 2^80-path object graph (a 700-byte pickle) is walked once per object, zip and legacy alike', async () => {
      const pickle = dagPickle(80);
      assert.ok(pickle.length < 800);
      for (const [name, data] of [['dag.pt', torchZip(pickle)], ['dag_legacy.pt', Buffer.concat([TORCH_LEGACY_MAGIC, new PickleWriter().int(1001).stop(), new PickleWriter().emptyDict().stop(), pickle])]] as const) {
        const info = result(await read(name, data));
        assert.equal(info.format, 'pytorch');
        assert.equal(info.tensorCount, 0);
      }
    });

    it('a graph of 2^60 paths to one tensor lists it once per parent, and a list that contains itself ends', async () => {
      const info = result(await read('dag_tensor.pt', torchZip(dagPickle(60, (p) => p.emptyDict().text('w').tensor('0', [2, 2]).setitem()))));
      assert.equal(info.tensorCount, 1);
      assert.deepEqual(info.tensors, [{ name: '0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.w', dtype: 'float32', shape: [2, 2] }]);
      const self = new PickleWriter().emptyDict().put(0).text('me').get(0).setitem().text('w').tensor('0', [3]).setitem().stop();
      assert.equal(result(await read('self.pt', torchZip(self))).tensorCount, 1);
    });

    it('names built from keys stay short: a 100 KB key reused 200 levels deep', async () => {
      // D1 = {'w': tensor}; D(i) = {<the long key>: D(i-1)}, each level fetching the one key from the memo.
      const p = new PickleWriter().text('k'.repeat(100_000)).put(0).pop();
      p.emptyDict().text('w').tensor('0', [1]).setitem().put(1).pop();
      for (let i = 2; i <= 200; i++) p.emptyDict().get(0).get(i - 1).setitem().put(i).pop();
      const info = result(await read('longkeys.pt', torchZip(p.get(200).stop())));
      assert.equal(info.tensorCount, 1);
      assert.ok(info.tensors[0]!.name.length < 1300, `a name of ${info.tensors[0]!.name.length} characters`);
    });

    it('20 KB deflated pickles of 20 million objects (data.pkl, .joblib) stop at the stack or object cap, with a clear error', async () => {
      const pickle = opcodeRun([], 0x5d, 20_000_000, []);
      const data = torchZip(pickle, true);
      assert.ok(data.length < 25_000);
      formatError(await read('lists.pt', data), /stack grows past 100,000 values at byte \d+: too complex to read as data/);
      formatError(await read('lists.joblib', deflateSync(pickle)), /stack grows past 100,000 values at byte \d+: too complex to read as data/);
      // Appended in batches, as pickle writes lists, the objects leave the stack: the object cap stops them.
      const batched = torchZip(batchedLists(3_000_000), true);
      assert.ok(batched.length < 25_000);
      formatError(await read('batched.pt', batched), /builds more than 2,000,000 objects: too complex to read as data/);
    });

    it('ten million DUPs stop at the stack cap; ten million steps that build nothing at the step cap', async () => {
      formatError(await read('dups.pt', torchZip(opcodeRun([0x5d, 0x28, 0x4e], 0x32, 9_999_000, [0x65]), true)), /stack grows past 100,000 values at byte \d+: too complex/);
      // [NONE, POP] x 5.1 million
      const loop = Buffer.alloc(2 * 5_100_000);
      for (let i = 0; i < loop.length; i += 2) loop.set([0x4e, 0x30], i);
      formatError(await read('steps.pt', torchZip(Buffer.concat([Buffer.from([0x80, 2]), loop, Buffer.from([0x4e, 0x2e])]), true)), /runs more than 10,000,000 steps: too complex/);
    });

    it('protocol 0 text numbers and memo keys that are not numbers are refused by name (not "memo NaN")', async () => {
      const text = (body: string): Buffer => Buffer.from(`\u0080\u0002${body}.`, 'latin1');
      formatError(await read('int.pkl', text('I12abc\n')), /the pickle has "12abc" for an integer at byte \d+/);
      formatError(await read('get.pkl', text('(lp0\ng1x\n')), /the pickle has "1x" for a memo key at byte \d+/);
      formatError(await read('float.pkl', text('Fx1\n')), /the pickle has "x1" for a float at byte \d+/);
      // What Python writes reads: a list [12, inf, 2^70], then refused only as not a model.
      formatError(await read('ok.pkl', text('(lp0\nI12\naFinf\naL1180591620717411303424L\na')), /a pickle of a list \(3 items\), not a scikit-learn model/);
    });

    it('APPENDS of 99,000 values (push(...values) overflowed the stack) reads; class names in errors are Python\'s', async () => {
      const many = new PickleWriter().emptyList().mark();
      for (let i = 0; i < 99_000; i++) many.none();
      formatError(await read('many.pkl', many.appends().stop()), /a pickle of a list \(99000 items\), not a scikit-learn model/);
      formatError(await read('tuple.pkl', new PickleWriter().emptyTuple().text('k').none().setitem().stop()), /the pickle sets items on a tuple at byte/);
    });

    it('scikit-learn: a pipeline that contains itself, and one whose steps fan out 2^40 ways, describe each object once', async () => {
      // Pipeline(steps=[('s0', <itself>), ('s1', <itself>), ('s2', <itself>)]) with a version: hyperparameters and "Fitted" follow steps.
      const self = new PickleWriter().global('sklearn.pipeline', 'Pipeline').emptyTuple().newobj().put(1).emptyDict().text('steps').emptyList().mark();
      for (let i = 0; i < 3; i++) self.text(`s${i}`).get(1).tuple2();
      self.appends().setitem().text('memory').none().setitem().text('_sklearn_version').text('1.2.1').setitem().build();
      const info = result(await read('selfpipe.pkl', self.stop()));
      assert.equal(info.format, 'sklearn');
      assert.equal(info.facts.find((f) => f.label === 'Fitted')?.value, 'no (no fitted attributes: fit it before saving)');
      assert.deepEqual(info.metadata, { memory: 'None' });
      assert.equal(info.facts.find((f) => f.label === 'Steps')?.value, 's0: Pipeline → s1: Pipeline → s2: Pipeline');
      // P0 = Pipeline(steps=[]); P(i+1) = Pipeline(steps=[('a', Pi), ('b', Pi)]), 40 levels.
      const fan = new PickleWriter();
      for (let i = 0; i <= 40; i++) {
        fan.global('sklearn.pipeline', 'Pipeline').emptyTuple().newobj().emptyDict().text('steps').emptyList();
        if (i > 0) fan.mark().text('a').get(i - 1).tuple2().text('b').get(i - 1).tuple2().appends();
        fan.setitem().text('_sklearn_version').text('1.2.1').setitem().build().put(i);
      }
      const fanned = result(await read('fan.pkl', fan.stop()));
      assert.ok(Object.keys(fanned.metadata).length <= 300);
    });

    it('joblib: object arrays nest a pickle each, and all of them share one budget (a 30 KB zlib file)', async () => {
      // Three NumpyArrayWrapper records of dtype object, each followed by a nested pickle of a million objects.
      const wrapper = (): Buffer => {
        const w = new PickleWriter().global('joblib.numpy_pickle', 'NumpyArrayWrapper').emptyTuple().newobj().emptyDict().mark();
        w.text('shape').int(1).tuple1().text('dtype').global('numpy', 'dtype').text('O8').tuple1().reduce().text('order').text('C').setitems().build();
        return w.stop().subarray(2, -1); // without its own PROTO and STOP: it sits inside the outer pickle
      };
      const nested = batchedLists(1_000_000);
      const body = Buffer.concat([Buffer.from([0x80, 2, 0x5d, 0x28]), ...[0, 1, 2].flatMap(() => [wrapper(), nested]), Buffer.from([0x65, 0x2e])]);
      const data = deflateSync(body);
      assert.ok(data.length < 40_000, `${data.length} bytes`);
      formatError(await read('objects.joblib', data), /builds more than 2,000,000 objects: too complex/);
    });
  });

  describe('zip archives', () => {
    it('an entry stored uncompressed whose sizes differ is damage', async () => {
      const archive = torchZip(new PickleWriter().emptyDict().stop());
      // The central directory's compressed size of data.pkl (offset 20 of its entry) made 2^31.
      const central = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), archive.lastIndexOf(Buffer.from('archive/data.pkl')));
      archive.writeUInt32LE(2 ** 31, central + 20);
      formatError(await read('sizes.pt', archive), /archive\/data.pkl is stored uncompressed but its sizes differ \(2147483648 and \d+ bytes\)/);
    });

    it('a ZIP64 size field longer than the entry\'s extra area is read only within it (no bytes of the next entry)', async () => {
      const zip64 = torchZip(new PickleWriter().emptyDict().stop());
      const entry = zip64.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), zip64.lastIndexOf(Buffer.from('archive/data.pkl')));
      const withExtra = Buffer.concat([zip64.subarray(0, entry + 46 + 16), Buffer.from([1, 0, 16, 0]), zip64.subarray(entry + 46 + 16)]);
      withExtra.writeUInt16LE(4, entry + 30); // extra length 4: the field header only, though it claims 16 bytes
      withExtra.writeUInt32LE(0xffffffff, entry + 24); // size: "in the ZIP64 field"
      const eocd = withExtra.length - 22;
      withExtra.writeUInt32LE(withExtra.readUInt32LE(eocd + 12) + 4, eocd + 12);
      formatError(await read('zip64.pt', withExtra), /archive\/data.pkl is 4294967295 bytes, more than the \d+ read/);
    });

    it('a central directory of more than 64 MB is refused before it is read', async () => {
      // A sparse 80 MB file whose end record claims a 70 MB directory at its start.
      const path = files.path('directory.pt');
      writeFileSync(path, Buffer.from('PK\u0003\u0004'));
      truncateSync(path, 80 * 2 ** 20);
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(1, 10);
      end.writeUInt32LE(70 * 2 ** 20, 12);
      const fd = openSync(path, 'r+');
      writeSync(fd, end, 0, 22, 80 * 2 ** 20 - 22);
      closeSync(fd);
      formatError(await files.reader.read('model', path), /a zip central directory of 73400320 bytes \(more than 64 MB\): not read/);
    });
  });

  describe('JSON headers (safetensors, Keras)', () => {
    it('5 million nested brackets are refused by a scan before any parsing (they took 8.7 s and 580 MB)', async () => {
      const deep = '['.repeat(5_000_000) + ']'.repeat(5_000_000);
      formatError(await read('deep.safetensors', safetensors(`{"a":${deep}}`)), /the header nests arrays or objects more than 64 deep \(at byte \d+\)/);
      const keras = zipArchive([{ name: 'metadata.json', data: Buffer.from('{}') }, { name: 'config.json', data: Buffer.from(`{"class_name":"Sequential","config":{"x":${deep}}}`), deflate: true }]);
      formatError(await read('deep.keras', keras), /config.json nests arrays or objects more than 256 deep/);
      // Strings may hold brackets; only structure counts.
      const info = result(await read('brackets.safetensors', safetensors(`{"__metadata__":{"note":"${'['.repeat(1000)}"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4)));
      assert.equal(info.tensorCount, 1);
    });

    it('a header of more than 4 million values is refused before it is parsed', async () => {
      formatError(await read('wide.safetensors', safetensors(`{"a":[${'0,'.repeat(4_100_000)}0]}`)), /the header holds more than 4,000,000 values: too large to read/);
    });

    it('Keras configs that are not what Keras writes are counted as unknown, never a TypeError', async () => {
      const keras = (config: unknown): Buffer => zipArchive([{ name: 'metadata.json', data: Buffer.from('{"keras_version":"3.6.0"}') }, { name: 'config.json', data: Buffer.from(JSON.stringify(config)) }]);
      const odd = {
        class_name: 'Sequential',
        config: {
          name: 'odd',
          layers: [
            null, 3, 'x', { class_name: 'Dense', config: 'not an object' },
            { class_name: { not: 'a string' }, config: { name: 7 } },
            { class_name: 'Conv2D', config: { filters: 8, kernel_size: ['a', 3], groups: 0 }, build_config: { input_shape: [null, 8, 8, 3] } },
            { class_name: 'Conv2D', config: { filters: 8, kernel_size: [3, 3], groups: 0 }, build_config: { input_shape: [null, 8, 8, 3] } },
            { class_name: 'Dense', config: { units: '16' }, build_config: { input_shape: 'x' } },
            { class_name: 'Sequential', config: { name: 'inner', layers: 5 } },
            { class_name: 'InputLayer', config: { batch_shape: { a: 1 }, dtype: 5, name: ['x'] } },
          ],
        },
      };
      const info = result(await read('odd.keras', keras(odd)));
      assert.equal(info.format, 'keras');
      assert.doesNotMatch(JSON.stringify(info), /NaN|Infinity|\[object|undefined/);
      assert.deepEqual(info.problems, [
        'the layers of inner are not a list: not counted',
        '4 entries of the layer list of odd are not layers: not counted',
        'parameters of ?, Conv2D, Dense layers are not counted (they live in model.weights.h5, which is not read)',
      ]);
      for (const config of [[], 'x', null, { class_name: 'Sequential', config: 'x' }]) {
        formatError(await read('bad.keras', keras(config)), /config.json is missing or not a Keras model config/);
      }
    });
  });

  describe('GGUF', () => {
    it('arrays nested 100,000 deep stop at the fifth level with a clear error (not "Maximum call stack size exceeded")', async () => {
      const parts = [gguf.header(3, 0, 1), gguf.string('k'), gguf.u32(9)];
      for (let i = 0; i < 100_000; i++) parts.push(gguf.u32(9), gguf.u64(1));
      parts.push(gguf.u32(4), gguf.u64(1), gguf.u32(7));
      formatError(await read('nested.gguf', Buffer.concat(parts)), /k: arrays nested more than 4 deep at byte \d+/);
    });

    it('only versions 2 and 3 are read: 0 is damage', async () => {
      formatError(await read('v0.gguf', Buffer.concat([gguf.header(0, 0, 0)])), /GGUF version 0 does not exist/);
      formatError(await read('v7.gguf', Buffer.concat([gguf.header(7, 0, 0)])), /GGUF version 7 is newer than this reader/);
    });

    it('counts and element counts past what any file holds are refused by name', async () => {
      // 2^40 strings in a 100-byte array; a tensor of 2^32 x 2^32 x 2^32 elements.
      formatError(await read('strings.gguf', Buffer.concat([gguf.header(3, 0, 1), gguf.string('tokens'), gguf.u32(9), gguf.u32(8), gguf.u64(2n ** 40n), Buffer.alloc(64)])), /tokens claims 1099511627776 items: more than the file holds/);
      const huge = Buffer.concat([gguf.header(3, 1, 0), gguf.string('t'), gguf.u32(3), gguf.u64(2 ** 32), gguf.u64(2 ** 32), gguf.u64(2 ** 32), gguf.u32(0), gguf.u64(0), Buffer.alloc(32)]);
      formatError(await read('huge.gguf', huge), /tensor t claims 4294967296 x 4294967296 x 4294967296 elements/);
      // A 1 MB name is read for its first kilobyte only.
      const longName = Buffer.concat([gguf.header(3, 1, 0), gguf.string('n'.repeat(1 << 20)), gguf.u32(1), gguf.u64(4), gguf.u32(0), gguf.u64(0), Buffer.alloc(32)]);
      const info = result(await read('longname.gguf', longName));
      assert.equal(info.tensors[0]!.name.length, 1001);
    });
  });

  describe('names a file chooses (constructor, __proto__, toString)', () => {
    const entries = (record: Record<string, unknown>): [string, unknown][] => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));

    it('ONNX operators and metadata named after Object.prototype count like any other', async () => {
      const node = (op: string): Buffer => pbBytes(1, pbBytes(4, op));
      const graph = Buffer.concat([node('constructor'), node('constructor'), node('__proto__'), node('toString'), node('Relu'), pbBytes(12, pbBytes(1, 'y'))]);
      const model = Buffer.concat([pbVarint(1, 8), pbBytes(7, graph), pbBytes(8, Buffer.concat([pbBytes(1, ''), pbVarint(2, 17)])), pbBytes(14, Buffer.concat([pbBytes(1, '__proto__'), pbBytes(2, 'meta')]))]);
      const info = result(await read('names.onnx', model));
      assert.deepEqual(entries(info.operators!), [['__proto__', 1], ['constructor', 2], ['Relu', 1], ['toString', 1]]);
      assert.deepEqual(entries(info.metadata), [['__proto__', 'meta']]);
    });

    it('safetensors dtypes and tensor names, GGUF keys, Keras layer classes, checkpoint keys', async () => {
      const st = result(await read('names.safetensors', safetensors('{"__proto__":{"dtype":"constructor","shape":[2],"data_offsets":[0,16]},"toString":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}', 20)));
      assert.deepEqual(entries(st.bytesByDtype), [['constructor', 16], ['F32', 4]]);
      assert.deepEqual(st.tensors.map((t) => t.name), ['__proto__', 'toString']);
      const g = result(await read('names.gguf', Buffer.concat([gguf.header(3, 0, 2), gguf.string('__proto__'), gguf.u32(8), gguf.string('x'), gguf.string('constructor'), gguf.u32(4), gguf.u32(7)])));
      assert.deepEqual(entries(g.metadata), [['__proto__', 'x'], ['constructor', '7']]);
      const layer = (cls: string): unknown => ({ class_name: cls, config: {} });
      const k = result(await read('names.keras', zipArchive([{ name: 'metadata.json', data: Buffer.from('{"__proto__":"m"}') }, { name: 'config.json', data: Buffer.from(JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [layer('constructor'), layer('constructor'), layer('__proto__')] } })) }])));
      assert.deepEqual(entries(k.operators!), [['__proto__', 1], ['constructor', 2]]);
      assert.deepEqual(entries(k.metadata), [['__proto__', 'm']]);
      const checkpoint = new PickleWriter().emptyDict().text('__proto__').int(3).setitem().text('constructor').int(4).setitem().text('w').tensor('0', [2]).setitem().stop();
      const pt = result(await read('names.pt', torchZip(checkpoint)));
      assert.deepEqual(entries(pt.metadata), [['__proto__', '3'], ['constructor', '4']]);
    });
  });
});
