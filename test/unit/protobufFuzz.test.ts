import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { ATTACKS, backwardsBlock, mutations } from '../support/fuzzMutations';
import { pbBytes, tfRecord } from '../support/hostileFiles';
import { isolatedFiles } from '../support/boundedWorker';
import { wandbConfigRecord, wandbExitRecord, wandbFile, wandbHistoryRecord, wandbRunRecord } from '../support/trackingFixtures';

// The protobuf-based run files (TensorBoard events through the general decoder and the WebAssembly
// loop, W&B's .wandb records) with the protobuf attack shapes inside records that are framed and
// checksummed correctly, so the decoders, not the framing, meet them: negative and huge lengths,
// fields that jump back to their start, groups, wire types 6 and 7, varints past 64 bits. Each
// case runs in a worker (256 MB heap, 10 s deadline), must end in under 2 s, never throw, and note
// each bad record as a problem in words.

const corpusFile = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'tfevents', 'runs', 'duplicate_steps', 'run_1', 'events.out.tfevents.1622966509.janoshs-mbp.lan.86059.0');
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const INTERNALS = /call stack|is not a function|Cannot read prop|undefined|NaN|\[object|index out of range/;

/** A TensorBoard file's records, split at their framing (12-byte header, data, 4-byte CRC). */
function records(file: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  for (let at = 0; at + 12 <= file.length; ) {
    const length = Number(view.readBigUInt64LE(at));
    out.push(file.subarray(at + 12, at + 12 + length));
    at += 16 + length;
  }
  return out;
}

/** Records with one replaced or joined by a hostile one, framed and checksummed as TensorFlow writes them. */
function hostileRecords(bodies: Uint8Array[], hostile: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Buffer> {
  return fc.record({ at: fc.nat(bodies.length), replace: fc.boolean(), body: hostile }).map(({ at, replace, body }) => {
    const list = [...bodies.slice(0, at), body, ...bodies.slice(replace ? at + 1 : at)];
    return Buffer.concat(list.map((b) => tfRecord(b)));
  });
}

describe('protobuf run files under fuzzing (attack shapes inside well-framed records)', function () {
  this.timeout(120_000);
  const files = isolatedFiles('mle-pb-fuzz-', { ms: 10_000, heapMb: 256 });

  async function readBounded(kind: 'tfevents' | 'wandb', name: string, data: Uint8Array): Promise<void> {
    const read = await files.read(kind, name, data);
    assert.equal(read.outcome, 'result', `${read.outcome} after ${Math.round(read.ms)} ms: ${read.message ?? ''}`);
    assert.ok(read.ms < 2000, `a read took ${Math.round(read.ms)} ms`);
    const summary = JSON.parse(read.summary!) as { problems: string[]; columnProblems?: string[] };
    for (const problem of [...summary.problems, ...(summary.columnProblems ?? [])]) assert.doesNotMatch(problem, INTERNALS);
    // The WebAssembly scalar loop hands every record it does not take to the general decoder: the same problems.
    if (summary.columnProblems) assert.deepEqual(summary.columnProblems, summary.problems);
  }

  it('TensorBoard: hostile Events among real ones are skipped with a problem, on both decoding paths', () => {
    const bodies = records(readFileSync(corpusFile));
    const sample = bodies[Math.min(3, bodies.length - 1)]!;
    const hostile = fc.oneof(
      mutations(sample, ATTACKS.protobuf),
      // Event field 3 (file_version) pads; field 20 claims -4096 * k bytes: the old cursor went back to the start.
      fc.integer({ min: 1, max: 3 }).map((k) => backwardsBlock(3, k)),
      // The same inside a Summary (field 5) and a Summary.Value (field 1).
      fc.integer({ min: 1, max: 2 }).map((k) => pbBytes(5, pbBytes(1, backwardsBlock(1, k)))),
      fc.uint8Array({ maxLength: 64 }).map((junk) => pbBytes(5, Buffer.concat([pbBytes(1, Buffer.concat([pbBytes(1, 'loss'), junk]))]))),
    );
    return fc.assert(fc.asyncProperty(hostileRecords(bodies, hostile), (data) => readBounded('tfevents', 'events.out.tfevents.1', data)), { numRuns: RUNS, endOnFailure: true });
  });

  it('W&B: hostile Records among real ones end with a problem in words; the others are read', () => {
    const good = [wandbRunRecord('r1', 'p', 'n', 1), wandbConfigRecord({ lr: 0.1, layers: [64, 32] }), ...Array.from({ length: 50 }, (_, i) => wandbHistoryRecord(i, { loss: 1 / (i + 1) }, i)), wandbExitRecord(0, 12)];
    const hostile = fc.oneof(
      fc.nat(good.length - 1).chain((i) => mutations(good[i]!, ATTACKS.protobuf)),
      fc.integer({ min: 1, max: 3 }).map((k) => backwardsBlock(4, k)),
      fc.integer({ min: 1, max: 20_000 }).map((n) => Buffer.alloc(n, 0x0b)), // nested groups
    );
    const runs = fc.record({ at: fc.nat(good.length), body: hostile }).map(({ at, body }) => wandbFile([...good.slice(0, at), body, ...good.slice(at)]));
    return fc.assert(fc.asyncProperty(runs, (data) => readBounded('wandb', 'run.wandb', data)), { numRuns: RUNS, endOnFailure: true });
  });
});
