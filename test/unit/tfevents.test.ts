import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writer } from 'protobufjs/minimal';
import type { ColumnSeries } from '../../src/tracking/columnSeries';
import { consumeFrom } from '../../src/tracking/fileReads';
import { readTfEvents } from '../../src/tracking/tfevents';
import { scalarScanner } from '../../src/tracking/wasm/scalarScan';
import { tfRecord as record } from '../support/hostileFiles';

const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'tfevents', 'runs');

function eventFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? eventFiles(path) : name.startsWith('events.out.tfevents.') ? [path] : [];
  });
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

  it('decodes into columns (the hot loop) exactly as the general decoder does', () => {
    for (const file of files) {
      const data = readFileSync(file);
      const general = readTfEvents(data);
      const columns = new Map<string, ColumnSeries>();
      const fast = readTfEvents(data, 0, new Map(), columns);
      assert.equal(fast.records, general.records);
      assert.equal(fast.consumedBytes, general.consumedBytes);
      assert.deepEqual(fast.problems, general.problems);
      assert.deepEqual(pointsByTag(columns), pointsOf(general.scalars));
    }
  });

  it('the WebAssembly scanner agrees with the general decoder past its slices, batches and tag slots', () => {
    assert.ok(scalarScanner(), 'WebAssembly runs here');
    // 70,000 scalar records (2.8 MB: more than one 2 MB slice, many 16,384-point batches) over 600
    // tags (more than the scanner's 256 slots: tags share slots and evict each other), with the
    // shapes it leaves to the general decoder mixed in: steps of 8+ varint bytes, negative steps,
    // 128-byte tags, graph records, a 5,000-byte record, and a record with a bad data CRC.
    const tags = Array.from({ length: 600 }, (_, i) => (i === 1 ? 'x'.repeat(127) : i === 2 ? 'y'.repeat(128) : i === 3 ? 'métrica/ñ' : `train/loss_${i}`));
    const scalar = (tag: string, step: number | bigint, value: number) => {
      const w = Writer.create().uint32((1 << 3) | 1).double(1.7e9 + Number(step) / 7);
      if (step !== 0) w.uint32((2 << 3) | 0).int64(step as number);
      return w.uint32((5 << 3) | 2).fork().uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string(tag).uint32((2 << 3) | 5).float(value).ldelim().ldelim().finish();
    };
    const parts: Buffer[] = [];
    for (let i = 0; i < 70_000; i++) {
      const step = i % 9973 === 5 ? 2 ** 50 + i : i % 7919 === 3 ? -i : i % 1000 === 0 ? 0 : i;
      parts.push(record(scalar(tags[(i * 7) % tags.length]!, step, Math.sin(i) * 1e3)));
      if (i % 5000 === 17) parts.push(record(Writer.create().uint32((1 << 3) | 1).double(1.7e9).uint32((4 << 3) | 2).bytes(Buffer.alloc(i % 2 ? 3000 : 5000, 1)).finish()));
    }
    const bad = parts[41_234]!;
    bad[bad.length - 1]! ^= 0xff;
    const data = Buffer.concat(parts);
    const general = readTfEvents(data);
    assert.equal(general.problems.length, 1);
    const columns = new Map<string, ColumnSeries>();
    const fast = readTfEvents(data, 0, new Map(), columns);
    assert.deepEqual([fast.records, fast.consumedBytes, fast.problems], [general.records, general.consumedBytes, general.problems]);
    assert.equal(columns.size, 600);
    assert.deepEqual(pointsByTag(columns), pointsOf(general.scalars));
  });

  it('the committed WebAssembly binary is what its .wat source compiles to', () => {
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-wasm.mjs'), '--check'], { stdio: 'pipe' });
  });

  it('reads a file in chunks, across chunk edges and a record bigger than the carry room, as in one piece', async () => {
    const strict = readFileSync(files.find((f) => f.includes('/strict/'))!);
    // A 2.5 MB graph_def (field 4) between the scalars: skipped, but it spans many chunks.
    const graph = Writer.create().uint32((1 << 3) | 1).double(1.7e9).uint32((4 << 3) | 2).bytes(Buffer.alloc(2_500_000, 7)).finish();
    const data = Buffer.concat([strict, record(graph), strict]);
    const cut = data.subarray(0, data.length - 5); // the last record half-written
    const whole = readTfEvents(cut);
    assert.equal(whole.scalars.length, 2 * readTfEvents(strict).scalars.length - 1);
    const dir = mkdtempSync(join(tmpdir(), 'mle-tf-chunks-'));
    try {
      const file = join(dir, 'events.out.tfevents.1');
      writeFileSync(file, cut);
      for (const chunk of [4096, 65536, 8 * 1024 * 1024]) {
        const columns = new Map<string, ColumnSeries>();
        const edges: number[] = [];
        const read = await consumeFrom(
          file,
          0,
          (bytes, base) => {
            edges.push(base);
            const r = readTfEvents(bytes, 0, new Map(), columns);
            return { used: r.consumedBytes };
          },
          chunk,
        );
        assert.equal(read.used, whole.consumedBytes, `chunk ${chunk}`);
        assert.ok(edges.every((b, i) => i === 0 || b >= edges[i - 1]!), 'bases only grow');
        assert.deepEqual(pointsByTag(columns), pointsOf(whole.scalars), `chunk ${chunk}`);
      }
      // Chunks smaller than a record: every record is cut by an edge.
      const small = join(dir, 'events.out.tfevents.2');
      writeFileSync(small, strict);
      const columns = new Map<string, ColumnSeries>();
      const read = await consumeFrom(small, 0, (bytes) => ({ used: readTfEvents(bytes, 0, new Map(), columns).consumedBytes }), 13);
      assert.equal(read.used, strict.length);
      assert.deepEqual(pointsByTag(columns), pointsOf(readTfEvents(strict).scalars));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops reading chunks after a broken length', async () => {
    const data = Buffer.from(readFileSync(files.find((f) => f.includes('/strict/'))!));
    const firstLength = Number(data.readBigUInt64LE(0));
    data[12 + firstLength + 4 + 2] = data[12 + firstLength + 4 + 2]! ^ 0xff; // the second record's length
    const dir = mkdtempSync(join(tmpdir(), 'mle-tf-chunks-'));
    try {
      const file = join(dir, 'events.out.tfevents.1');
      writeFileSync(file, data);
      let calls = 0;
      const read = await consumeFrom(
        file,
        0,
        (bytes) => {
          calls++;
          const r = readTfEvents(bytes);
          return { used: r.consumedBytes, stop: r.halted };
        },
        64,
      );
      assert.equal(read.used, 12 + firstLength + 4);
      assert.equal(calls, 1, `the first chunk shows the broken length and reading stops there (of ${Math.ceil(data.length / 64)} chunks)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function pointsOf(scalars: readonly { tag: string; step: number; wallTime: number; value: number }[]): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  for (const s of scalars) (out[s.tag] ??= []).push([s.step, s.wallTime * 1000, s.value]);
  return out;
}

function pointsByTag(columns: Map<string, ColumnSeries>): Record<string, number[][]> {
  return Object.fromEntries([...columns].map(([tag, series]) => [tag, series.points().map((p) => [p.step, p.time ?? NaN, p.value])]));
}
