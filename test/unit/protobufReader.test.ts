import * as assert from 'node:assert/strict';
import { ProtobufError, ProtobufReader } from '../../src/common/protobuf/protobufReader';
import { readTfEvents } from '../../src/tracking/tfevents';
import { pbBytes, pbClaimed, pbVarint, tfRecord, varint } from '../support/hostileFiles';
import { isolatedFiles } from '../support/boundedWorker';
import { wandbFile } from '../support/trackingFixtures';

// The one protobuf reader (ONNX, W&B, the general TensorBoard path) and the hostile shapes that
// froze the readers before it: lengths that decode negative, varints past 64 bits, group and
// undefined wire types. Files go through a worker with a deadline (test/support/boundedWorker.ts).

/**
 * A message whose last field claims -4096 bytes: in float arithmetic that 10-byte varint is exactly
 * -4096, which moved the old cursors back to the start of the message, for ever. The padding field
 * makes the jump land on the message's first byte.
 */
function backwardsMessage(padField: number, hostileField = 20): Buffer {
  const hostile = pbClaimed(hostileField, -4096);
  const key = varint(padField * 8 + 2).length;
  const padBody = 4096 - hostile.length - key - 2;
  const pad = pbBytes(padField, 'x'.repeat(padBody));
  assert.equal(pad.length + hostile.length, 4096);
  return Buffer.concat([pad, hostile]);
}

const protobufError = (pattern: RegExp) => (error: unknown) => error instanceof ProtobufError && pattern.test(error.message);

describe('protobuf reader', () => {
  it('reads varints up to 64 bits, int64 negatives, and refuses longer varints', () => {
    assert.equal(new ProtobufReader(Buffer.from(varint(300))).varint(), 300);
    assert.equal(new ProtobufReader(Buffer.from(varint(2 ** 53))).varint(), 2 ** 53);
    assert.equal(new ProtobufReader(Buffer.from(varint(-5))).int64(), -5);
    assert.equal(new ProtobufReader(Buffer.from(varint(-5))).varint(), 2 ** 64 - 5);
    // 2^64 and above: the tenth byte may hold one bit only; an eleventh byte is never valid.
    assert.throws(() => new ProtobufReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])).varint(), protobufError(/longer than 64 bits/));
    assert.throws(() => new ProtobufReader(Buffer.from([...new Array<number>(10).fill(0x80), 0x01])).varint(), protobufError(/longer than 64 bits/));
    assert.equal(new ProtobufReader(Buffer.from(varint(-(2 ** 53)))).int64(), -(2 ** 53));
    assert.equal(new ProtobufReader(Buffer.from(varint(2n ** 63n))).varint(), 2 ** 63);
    assert.throws(() => new ProtobufReader(Buffer.from([0x80, 0x80])).varint(), protobufError(/runs past its message/));
  });

  it('never moves backwards: a negative or oversized length is an error, and the cursor stays', () => {
    for (const claimed of [-1, -4096, -(2 ** 40), 2 ** 40, 100]) {
      const r = new ProtobufReader(pbClaimed(1, claimed, Buffer.alloc(8)));
      r.key();
      const at = r.pos;
      assert.throws(() => r.skip(2), protobufError(claimed < 0 ? /claims a negative or impossible number of bytes: more than its message holds/ : new RegExp(`claims ${claimed} bytes: more than its message holds`)), String(claimed));
      assert.throws(() => r.bytes(), ProtobufError);
      assert.equal(r.pos, at);
    }
  });

  it('refuses groups (wire types 3, 4), wire types 6 and 7, and field 0, by name', () => {
    for (const [byte, pattern] of [[0x0b, /groups \(wire type 3\)/], [0x0c, /groups \(wire type 4\)/], [0x0e, /wire type 6/], [0x0f, /wire type 7/], [0x02, /not a protobuf field/]] as const) {
      assert.throws(() => new ProtobufReader(Buffer.from([byte, 0, 0])).key(), protobufError(pattern));
    }
  });

  it('keeps reads inside a narrowed field (pushLimit) and skips what is left of it', () => {
    const msg = Buffer.concat([pbBytes(1, Buffer.concat([pbVarint(1, 7), Buffer.from([0x10])])), pbVarint(2, 9)]);
    const r = new ProtobufReader(msg);
    assert.equal(r.key(), (1 << 3) | 2);
    const outer = r.pushLimit();
    assert.equal(r.key(), 1 << 3);
    assert.equal(r.varint(), 7);
    assert.equal(r.key(), 2 << 3);
    // The varint of field 2 inside the field is cut by the field's end, though the message goes on.
    assert.throws(() => r.varint(), protobufError(/runs past its message/));
    r.popLimit(outer);
    assert.equal(r.key(), 2 << 3);
    assert.equal(r.varint(), 9);
    assert.ok(r.done);
    assert.throws(() => new ProtobufReader(Buffer.from([1, 2, 3])).double(), protobufError(/8-byte value at byte 0 runs past/));
  });
});

describe('hostile protobuf files (each read in a worker with a deadline)', function () {
  this.timeout(60_000);
  const files = isolatedFiles('mle-hostile-pb-', { ms: 8000, heapMb: 256 });

  it('ONNX: a 4 KB graph whose last field claims -4096 bytes is refused at once, naming the field', async () => {
    // field 2 of GraphProto is its name: the padding; the hostile field 20 is one no reader knows (skipped).
    const model = Buffer.concat([pbVarint(1, 8), pbBytes(7, backwardsMessage(2))]);
    const read = await files.read('model', 'backwards.onnx', model);
    assert.equal(read.outcome, 'error', JSON.stringify(read));
    assert.equal(read.errorName, 'ModelFormatError');
    assert.match(read.message!, /field 20 at byte \d+ claims a negative or impossible number of bytes/);
    // Inside a node (read whole, walked in memory), and wire type 3 in a graph.
    const node = Buffer.concat([pbVarint(1, 8), pbBytes(7, pbBytes(1, backwardsMessage(4)))]);
    assert.match((await files.read('model', 'node.onnx', node)).message!, /claims a negative or impossible number of bytes/);
    const group = Buffer.concat([pbVarint(1, 8), pbBytes(7, Buffer.from([0x0b, 0x0c]))]);
    const groupRead = await files.read('model', 'group.onnx', group);
    assert.equal(groupRead.errorName, 'ModelFormatError');
    assert.match(groupRead.message!, /protobuf groups \(wire type 3\)/);
  });

  it('TensorBoard: an Event whose last field claims -4096 bytes is skipped with a problem, on both paths', async () => {
    // Event field 3 (file_version) pads; a good scalar record follows, and is read.
    const scalar = Buffer.concat([Buffer.from([0x09]), Buffer.alloc(8), pbVarint(2, 1), pbBytes(5, pbBytes(1, Buffer.concat([pbBytes(1, 'loss'), Buffer.from([0x15, 0, 0, 0x80, 0x3f])])))]);
    const data = Buffer.concat([tfRecord(backwardsMessage(3)), tfRecord(scalar)]);
    const read = await files.read('tfevents', 'events.out.tfevents.1', data);
    assert.equal(read.outcome, 'result', JSON.stringify(read));
    const summary = JSON.parse(read.summary!) as { records: number; scalars: number; problems: string[]; columnProblems: string[] };
    assert.equal(summary.records, 2);
    assert.equal(summary.scalars, 1);
    assert.equal(summary.problems.length, 1);
    assert.match(summary.problems[0]!, /^the record at byte 0 is not an Event \(a field at byte \d+ claims a negative or impossible number of bytes/);
    assert.deepEqual(summary.columnProblems, summary.problems);
    // The same in memory, plus groups and wire type 7 inside a summary value.
    const nested = readTfEvents(Buffer.concat([tfRecord(pbBytes(5, pbBytes(1, Buffer.from([0x0b])))), tfRecord(pbBytes(5, pbBytes(1, Buffer.from([0x0f]))))]));
    assert.deepEqual(nested.problems.map((p) => /groups|wire type 7/.test(p)), [true, true]);
  });

  it('W&B: bad lengths, groups nested 20,000 deep and undefined wire types end their record with a message for people', async () => {
    const run = Buffer.concat([pbBytes(17, Buffer.concat([pbBytes(1, 'abc'), pbBytes(3, 'proj')]))]);
    const history = pbBytes(2, pbClaimed(1, -4096)); // a history item that claims -4096 bytes
    const oversized = pbBytes(3, pbClaimed(1, 5000, Buffer.alloc(10))); // a summary item claiming more than the record
    const groups = Buffer.alloc(20_000, 0x0b); // field 1, start group, 20,000 times: protobufjs skipped groups recursively
    const data = wandbFile([run, history, oversized, groups, Buffer.from([0x0e, 0x00])]);
    const read = await files.read('wandb', 'run.wandb', data);
    assert.equal(read.outcome, 'result', JSON.stringify(read));
    const summary = JSON.parse(read.summary!) as { run: { runId: string; project: string }; problems: string[] };
    assert.equal(summary.run.runId, 'abc');
    assert.equal(summary.problems.length, 4, summary.problems.join('\n'));
    for (const problem of summary.problems) {
      assert.match(problem, /^the record at byte \d+ could not be decoded \(.*(claims|groups|wire type 6).*\): skipped$/);
      assert.doesNotMatch(problem, /index out of range|call stack|undefined|NaN/);
    }
  });
});
