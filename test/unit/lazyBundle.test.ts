import assert from 'node:assert/strict';
import { buildSync } from 'esbuild';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Errors from '../../src/common/errors';
import { isUserError, UserError } from '../../src/common/errors';
import { lazyBundle, lazyBundlePath } from '../../src/common/lazyBundle';

/** The one way adapters load dist/lazy/<name>.js: on first use, once; and what crosses back from such a bundle. */
describe('lazyBundle', () => {
  let extension: string;
  before(() => {
    // A stand-in extension folder whose dist/lazy/errors.js is src/common/errors.ts bundled on its own, as the build does.
    extension = mkdtempSync(join(tmpdir(), 'mle-lazy-'));
    mkdirSync(join(extension, 'dist', 'lazy'), { recursive: true });
    buildSync({ entryPoints: [join(__dirname, '..', '..', 'src', 'common', 'errors.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: lazyBundlePath(extension, 'errors'), logLevel: 'error' });
  });

  it('requires the bundle on the first call only, and peek() does not load it', () => {
    const load = lazyBundle<typeof Errors>(extension, 'errors');
    assert.equal(load.peek(), undefined);
    assert.equal(Object.keys(require.cache).some((k) => k.startsWith(extension)), false, 'not loaded before use');
    const first = load();
    assert.equal(load(), first);
    assert.equal(load.peek(), first);
    assert.equal(lazyBundlePath(extension, 'errors'), join(extension, 'dist', 'lazy', 'errors.js'));
  });

  it("finds a feature's bundle in dist/features/", () => {
    mkdirSync(join(extension, 'dist', 'features'), { recursive: true });
    buildSync({ entryPoints: [join(__dirname, '..', '..', 'src', 'common', 'errors.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: lazyBundlePath(extension, 'doctor', 'features'), logLevel: 'error' });
    assert.equal(lazyBundlePath(extension, 'doctor', 'features'), join(extension, 'dist', 'features', 'doctor.js'));
    const feature = lazyBundle<typeof Errors>(extension, 'doctor', 'features');
    assert.equal(typeof feature().describeError, 'function');
    assert.notEqual(feature(), lazyBundle<typeof Errors>(extension, 'errors')(), 'a bundle of its own');
  });

  it('a UserError made in a bundle (its own copy of the class) is still shown as one', () => {
    const bundled = lazyBundle<typeof Errors>(extension, 'errors')();
    const error = new bundled.UserError('model.onnx could not be read: the reader took longer than 20 s');
    assert.equal(error instanceof UserError, false, 'another class: instanceof alone missed it');
    assert.ok(isUserError(error));
    assert.equal(isUserError(new Error('internal')), false);
  });
});
