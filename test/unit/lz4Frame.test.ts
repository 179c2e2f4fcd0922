import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { decodeLz4Frame } from '../../src/data/engine/lz4Frame';

// The LZ4 frame decoder against the reference lz4 tool (Debian's lz4) with each frame option a
// writer may set: block checksums (the Rust writers), linked blocks, the content size, every block
// size, stored (incompressible) blocks; and damaged frames fail with a message, never wrong bytes.

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
});
