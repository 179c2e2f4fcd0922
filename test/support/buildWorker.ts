import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** Bundles a worker entry (.ts) as scripts/build.mjs bundles dist/workers/*.js: a real script, started in milliseconds. */
export function buildWorker(entry: string): string {
  const outfile = join(mkdtempSync(join(tmpdir(), 'mle-worker-')), `${basename(entry, '.ts')}.js`);
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error' });
  return outfile;
}
