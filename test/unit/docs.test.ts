import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';

// The docs say what the code is: every file docs/architecture.md names exists, and every
// section of docs/formats.md the source cites is there (the notes live in this repository).
const root = resolve(__dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path) : [path];
  });
}

const sources = ['src', 'media', 'test', 'bench', 'scripts'].flatMap((d) => files(join(root, d)));

describe('docs match the code', () => {
  it('every file docs/architecture.md names exists', () => {
    const text = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
    const named = [...text.matchAll(/`([\w./-]+\.(?:ts|mjs|cjs|sh|wat|json|md))`/g)].map((m) => m[1]!);
    assert.ok(named.length > 50, `found ${named.length} names`);
    const known = new Set(sources.map((f) => basename(f)));
    const missing = [...new Set(named)].filter((name) => {
      const path = name.replace(/^\.\//, '');
      if (path.includes('/')) return !existsSync(join(root, path)) && !sources.some((f) => relative(root, f).split(sep).join('/').endsWith(path));
      return !known.has(path);
    });
    assert.deepEqual(missing, []);
  });

  it('every docs/formats.md section the source cites is there, and nothing cites notes outside the repository', () => {
    const headings = new Set([...readFileSync(join(root, 'docs/formats.md'), 'utf8').matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]!));
    const cited: string[] = [];
    for (const file of sources.filter((f) => /\.(ts|mjs|sh)$/.test(f))) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /shared\/docs\/formats\.md/, `${relative(root, file)} cites the notes outside the repository`);
      for (const m of text.matchAll(/formats\.md §(\d+(?:\.\d+)?)/g)) cited.push(`${relative(root, file)} §${m[1]}`);
    }
    assert.ok(cited.length >= 12, `found ${cited.length} citations`);
    assert.deepEqual(cited.filter((c) => !headings.has(c.split('§')[1]!)), []);
  });
});
