import { join } from 'node:path';
import { lazyBundle } from '../common/lazyBundle';

/**
 * A heavy package the extension already ships as dist/lazy/<name>.js (the Anthropic SDK, Jupyter's
 * services): the CLI (dist/cli.js) requires that bundle instead of carrying a second copy; run from
 * source (tsx: tests, benches), the same entry file in src/. `sourceEntry` is relative to src/.
 */
export function shippedBundle<T>(name: string, sourceEntry: string): T {
  if (__filename.endsWith('.ts')) {
    // A path in a variable: esbuild leaves it to run time, so the package stays out of dist/cli.js.
    const entry = join(__dirname, '..', sourceEntry);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- our own entry file, from source
    return require(entry) as T;
  }
  return lazyBundle<T>(join(__dirname, '..'), name)();
}
