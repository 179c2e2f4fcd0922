import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buf as crc32c } from 'crc-32/crc32c';
import { Writer } from 'protobufjs/minimal';
import { readTfEvents } from '../../src/tracking/tfevents';

const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'tfevents', 'runs');

function eventFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? eventFiles(path) : name.startsWith('events.out.tfevents.') ? [path] : [];
  });
}

const masked = (crc: number): number => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** One TFRecord around `body`, framed as TensorFlow writes it. */
function record(body: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(body.length), 0);
  head.writeUInt32LE(masked(crc32c(head.subarray(0, 8)) >>> 0), 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(masked(crc32c(body) >>> 0), 0);
  return Buffer.concat([head, body, tail]);
}

describe('TensorBoard event files (real files written by torch.utils.tensorboard)', () => {
  const files = eventFiles(corpus);

  it('finds the corpus', () => assert.equal(files.length, 6));

  for (const file of files) {
    it(`reads ${file.slice(corpus.length + 1)}: every record checks out`, () => {
      const data = readFileSync(file);
      const read = readTfEvents(data);
      assert.deepEqual(read.problems, []);
      assert.equal(read.consumedBytes, data.length);
      assert.equal(read.fileVersion, 'brain.Event:2');
      assert.ok(read.scalars.length > 0);
      assert.ok(read.scalars.every((p) => Number.isFinite(p.value) && Number.isInteger(p.step) && p.wallTime > 1.6e9));
    });
  }

  it('reads the strict runs as 100 points of strict/foo, and keeps the repeated steps of duplicate_steps', () => {
    for (const file of files.filter((f) => f.includes('/strict/'))) {
      const { scalars } = readTfEvents(readFileSync(file));
      assert.deepEqual([...new Set(scalars.map((s) => s.tag))], ['strict/foo']);
      assert.deepEqual(scalars.map((s) => s.step), Array.from({ length: 100 }, (_, i) => i * 5)); // the writer logged every 5th step
    }
    for (const file of files.filter((f) => f.includes('/duplicate_steps/'))) {
      const { scalars } = readTfEvents(readFileSync(file));
      assert.equal(new Set(scalars.map((s) => s.tag)).size, 2);
      const steps = scalars.map((s) => `${s.tag}@${s.step}`);
      assert.ok(new Set(steps).size < steps.length, 'some (tag, step) pairs repeat, and all are kept');
    }
  });

  it('leaves a half-written last record for the next read of a growing file', () => {
    const data = readFileSync(files.find((f) => f.includes('/strict/'))!);
    const whole = readTfEvents(data);
    const cut = data.subarray(0, data.length - 7);
    const first = readTfEvents(cut);
    assert.deepEqual(first.problems, []);
    assert.equal(first.scalars.length, whole.scalars.length - 1);
    const rest = readTfEvents(data, first.consumedBytes);
    assert.equal(rest.scalars.length, 1);
    assert.deepEqual(rest.scalars[0], whole.scalars[whole.scalars.length - 1]);
  });

  it('skips a record whose data checksum is wrong, says where, and stops at a broken length', () => {
    const data = Buffer.from(readFileSync(files.find((f) => f.includes('/strict/'))!));
    const whole = readTfEvents(data);
    const firstLength = Number(data.readBigUInt64LE(0));
    const second = 12 + firstLength + 4;
    data[second + 15] = data[second + 15]! ^ 0xff; // a byte inside the second record's data
    const damaged = readTfEvents(data);
    assert.equal(damaged.problems.length, 1);
    assert.match(damaged.problems[0]!, new RegExp(`bad data checksum in the record at byte ${second}`));
    assert.equal(damaged.records, whole.records - 1);
    data[second + 2] = data[second + 2]! ^ 0xff; // now its length
    const broken = readTfEvents(data);
    assert.match(broken.problems.join(), /bad length checksum at byte \d+/);
    assert.equal(broken.records, 1);
  });

  it('never throws on garbage', () => {
    for (let seed = 1; seed < 200; seed++) {
      const bytes = Buffer.alloc(64 + seed, 0).map((_, i) => (i * 131 + seed * 7) & 0xff);
      const read = readTfEvents(bytes);
      assert.ok(read.consumedBytes <= bytes.length);
    }
  });

  it('reads scalars written as tensors (TF2 / Keras), by plugin remembered per tag', () => {
    const tensorFloat = Writer.create().uint32((1 << 3) | 0).int32(1).uint32((5 << 3) | 2).fork().float(0.25).ldelim().finish();
    const metadata = Writer.create().uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('scalars').ldelim().finish();
    const value = (withMetadata: boolean, tensor: Uint8Array) => {
      const w = Writer.create().uint32((1 << 3) | 2).string('epoch_loss').uint32((8 << 3) | 2).bytes(tensor);
      if (withMetadata) w.uint32((9 << 3) | 2).bytes(metadata);
      return w.finish();
    };
    const event = (step: number, v: Uint8Array) =>
      Writer.create().uint32((1 << 3) | 1).double(1.7e9).uint32((2 << 3) | 0).int64(step).uint32((5 << 3) | 2).fork().uint32((1 << 3) | 2).bytes(v).ldelim().finish();
    const content = Buffer.alloc(8);
    content.writeDoubleLE(0.125, 0);
    const tensorDouble = Writer.create().uint32((1 << 3) | 0).int32(2).uint32((4 << 3) | 2).bytes(content).finish();
    const data = Buffer.concat([record(event(0, value(true, tensorFloat))), record(event(1, value(false, tensorDouble)))]);
    const read = readTfEvents(data);
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.scalars.map((s) => [s.tag, s.step, s.value]), [
      ['epoch_loss', 0, 0.25],
      ['epoch_loss', 1, 0.125],
    ]);
  });
});
