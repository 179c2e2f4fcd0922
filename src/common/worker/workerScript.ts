import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A worker's script: dist/workers/<name>.js, found from the bundle running this code (dist/cli.js,
 * dist/extension.js or dist/lazy/*.js); when running from source (tests, benches under tsx), the
 * .ts entry `sourceEntry()` gives, which the runner starts through tsx.
 */
export function workerScript(name: string, sourceEntry: () => string): string {
  if (__filename.endsWith('.ts')) return sourceEntry();
  const candidates = [join(__dirname, 'workers', `${name}.js`), join(__dirname, '..', 'workers', `${name}.js`)];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`the reader worker ${name}.js is missing from ${candidates.join(' and ')}: run npm run build`);
  return found;
}
