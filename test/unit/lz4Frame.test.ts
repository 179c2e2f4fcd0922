import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { decodeLz4Frame } from '../../src/data/engine/lz4Frame';

// The LZ4 frame decoder against the reference lz4 tool (Debian's lz4) with each frame option a
// writer may set: block checksums (the Rust writers), linked blocks, the content size, every block
// size, stored (incompressible) blocks; and damaged frames fail with a message, never wrong bytes.
// Hostile frames (decompression bombs) reserve no more than their bytes can decode to.

function lz4(data: Uint8Array, options: string[]): Uint8Array {
  const result = spawnSync('lz4', ['-q', '-c', ...options], { input: data, maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`lz4 ${options.join(' ')}: ${String(result.stderr)}`);
  return new Uint8Array(result.stdout);
}

describe('LZ4 frame decoder (Arrow LZ4_FRAME buffers)', function () {
  this.timeout(60_000);
  // Repetitive text with runs and long matches, then random bytes (stored blocks), then a long run (overlapping matches).
  const words = ['alpha,', 'beta;', 'gamma\n', '\u0000\u0000\u0000\u0000', 'delta-delta-delta '];
  const text = Buffer.from(Array.from({ length: 120_000 }, (_, i) => (words[(i * 7919) % words.length] ?? '') + String(i % 97)).join(''));
  const data = new Uint8Array(Buffer.concat([text, randomBytes(300_000), Buffer.alloc(200_000, 0x61)]));

  for (const options of [['-B4'], ['-B4', '-BD'], ['-B4', '-BD', '-BX'], ['-B5', '-BX', '--no-frame-crc'], ['-B6', '-BD', '--content-size'], ['-B7', '--content-size', '-BX'], ['-9', '-BD'], ['--fast=5']]) {
    it(`lz4 ${options.join(' ')}`, () => {
      const frame = lz4(data, options);
      assert.ok(frame.length < data.length);
      assert.ok(Buffer.from(decodeLz4Frame(frame)).equals(Buffer.from(data)));
    });
  }

  it('empty and one-byte inputs', () => {
    assert.equal(decodeLz4Frame(lz4(new Uint8Array(0), [])).length, 0);
    assert.deepEqual([...decodeLz4Frame(lz4(new Uint8Array([42]), ['--content-size']))], [42]);
  });

  it('a damaged frame fails with a message', () => {
    const frame = lz4(data, ['-B4', '-BD']);
    assert.throws(() => decodeLz4Frame(frame.subarray(0, frame.length >> 1)), /LZ4 frame: truncated/);
    const badMagic = frame.slice();
    badMagic[0] = 0;
    assert.throws(() => decodeLz4Frame(badMagic), /LZ4 frame: not an LZ4 frame/);
    // A match offset past the start of the data: the first sequence's offset, made huge.
    const first = lz4(Buffer.from('abcdabcdabcdabcdabcdabcd'), []);
    const token = 7 + 4; // magic, FLG, BD, HC, then the block size
    const literals = (first[token] ?? 0) >> 4;
    first[token + 1 + literals] = 0xff;
    first[token + 2 + literals] = 0xff;
    assert.throws(() => decodeLz4Frame(first), /LZ4 frame: a match points before the start/);
  });

  /** A frame of 4 MiB blocks (-B7), no checksums, `blocks` given as their compressed bytes; `declared`: the content size field. */
  function frame(blocks: Uint8Array[], declared?: number, bd = 0x70): Uint8Array {
    const head = [0x04, 0x22, 0x4d, 0x18, declared === undefined ? 0x40 : 0x48, bd];
    if (declared !== undefined) for (let i = 0; i < 8; i++) head.push(Math.floor(declared / 2 ** (8 * i)) % 256);
    head.push(0); // Header checksum, not verified.
    const parts: Uint8Array[] = [new Uint8Array(head)];
    for (const block of blocks) parts.push(new Uint8Array(new Uint32Array([block.length]).buffer), block);
    parts.push(new Uint8Array(4));
    return new Uint8Array(Buffer.concat(parts));
  }

  it('many tiny blocks reserve what their bytes can decode to, not 4 MiB each', () => {
    // 100,000 two-byte blocks (one literal each): 400 GB reserved at 4 MiB a block.
    const blocks = Array.from({ length: 100_000 }, (_, i) => new Uint8Array([0x10, i % 251]));
    const out = decodeLz4Frame(frame(blocks));
    assert.equal(out.length, 100_000);
    assert.equal(out[250], 250);
    assert.ok(out.buffer.byteLength < 100_000 * 300);
  });

  it('a declared size larger than the data fails before reserving it', () => {
    const tiny = [new Uint8Array([0x10, 42])];
    assert.throws(() => decodeLz4Frame(frame(tiny, 4 << 20)), /LZ4 frame: the frame declares 4194304 bytes, its blocks hold at most 534/);
    // Arrow's length prefix, larger than the frame can hold, and one that the data does not match.
    assert.throws(() => decodeLz4Frame(frame(tiny), 1 << 30), /LZ4 frame: Arrow's length prefix says 1073741824 bytes, the frame's blocks hold at most 534/);
    assert.throws(() => decodeLz4Frame(frame(tiny), 2), /LZ4 frame: decoded 1 bytes, Arrow's length prefix says 2/);
    assert.throws(() => decodeLz4Frame(frame(tiny, 1), 2), /LZ4 frame: the frame declares 1 bytes, Arrow's length prefix 2/);
    assert.deepEqual([...decodeLz4Frame(frame(tiny, 1), 1)], [42]);
  });

  it('a bad block-size value fails', () => {
    const tiny = [new Uint8Array([0x10, 42])];
    for (const bd of [0x00, 0x30]) assert.throws(() => decodeLz4Frame(frame(tiny, undefined, bd)), /LZ4 frame: invalid block size/);
    // A block larger than the frame's block size (64 KiB).
    assert.throws(() => decodeLz4Frame(frame([new Uint8Array(70_000)], undefined, 0x40)), /LZ4 frame: a block is larger than the frame allows/);
  });
});
