import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The layering rule of docs/architecture.md: only adapter files import `vscode`, and adapter
 * files live in a `vscode/` folder of their feature (or are src/extension.ts and the activation
 * layer beside it, src/activation/). The core may
 * not import an adapter either, directly or through another file, or it would stop loading
 * in plain Node (the CLI and the unit tests).
 */
const root = resolve(__dirname, '../..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    if (files.includes(candidate)) return candidate;
  }
  return undefined;
}

function dynamicImportsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

function resolveIn(known: readonly string[], from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => known.includes(candidate));
}

const files = sourceFiles(src);
const rel = (file: string): string => relative(root, file).split(sep).join('/');
const isAdapterPath = (file: string): boolean => rel(file) === 'src/extension.ts' || rel(file).startsWith('src/activation/') || rel(file).split('/').includes('vscode');

describe('architecture: the core is free of vscode', () => {
  it('finds the source files', () => {
    assert.ok(files.length > 10, `only ${files.length} files under src/`);
  });

  it('lists every file importing vscode, and each lives in a vscode/ folder', () => {
    const importers = files.filter((f) => importsOf(f).includes('vscode')).map(rel).sort();
    // Printed so a reviewer sees the adapter surface grow.
    console.log(`      files importing vscode (${importers.length}):\n${importers.map((f) => `        ${f}`).join('\n')}`);
    assert.ok(importers.includes('src/extension.ts'), 'the scan itself is broken: extension.ts imports vscode');
    const misplaced = importers.filter((f) => !isAdapterPath(join(root, f)));
    assert.deepEqual(misplaced, [], 'core files import vscode; move the vscode part into the feature\'s vscode/ folder');
  });

  it('no core file reaches an adapter through its imports', () => {
    const offenders: string[] = [];
    for (const file of files.filter((f) => !isAdapterPath(f))) {
      const seen = new Set<string>();
      const stack: { file: string; path: string[] }[] = [{ file, path: [rel(file)] }];
      while (stack.length > 0) {
        const next = stack.pop();
        if (!next || seen.has(next.file)) continue;
        seen.add(next.file);
        for (const specifier of importsOf(next.file)) {
          const target = resolveLocal(next.file, specifier);
          if (!target) continue;
          const path = [...next.path, rel(target)];
          if (isAdapterPath(target)) offenders.push(path.join(' -> '));
          else stack.push({ file: target, path });
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('has no import cycles in src/ or media/, type-only and dynamic imports included', () => {
    // A cycle makes load order decide what is defined (a class can be undefined at first use),
    // and even a type-only one ties two files so neither can be understood or moved alone.
    const all = [...files, ...sourceFiles(join(root, 'media'))];
    const edges = new Map(all.map((file) => [file, [...importsOf(file), ...dynamicImportsOf(file)].map((s) => resolveIn(all, file, s)).filter((t): t is string => t !== undefined)]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      for (const target of edges.get(file) ?? []) {
        if (state.get(target) === 'open') cycles.push([...path.slice(path.indexOf(target)), target].map(rel).join(' -> '));
        else if (!state.has(target)) visit(target, [...path, target]);
      }
      state.set(file, 'done');
    };
    for (const file of all) if (!state.has(file)) visit(file, [file]);
    assert.ok(edges.size > 100, 'the scan found the files');
    assert.deepEqual(cycles, []);
  });

  it('webview code reaches no Node or vscode module through its imports (it runs in the browser)', () => {
    const media = sourceFiles(join(root, 'media'));
    const valueImports = (file: string): string[] => {
      const text = readFileSync(file, 'utf8');
      return [...text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    };
    const offenders: string[] = [];
    const seen = new Set<string>();
    const stack = media.map((file) => ({ file, path: [rel(file)] }));
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next.file)) continue;
      seen.add(next.file);
      for (const specifier of valueImports(next.file)) {
        if (specifier === 'vscode' || specifier.startsWith('node:')) offenders.push([...next.path, specifier].join(' -> '));
        if (!specifier.startsWith('.')) continue;
        const base = resolve(dirname(next.file), specifier);
        const target = [`${base}.ts`, join(base, 'index.ts')].find((f) => files.includes(f) || media.includes(f));
        if (target) stack.push({ file: target, path: [...next.path, rel(target)] });
      }
    }
    assert.ok(seen.size > media.length, 'the scan follows imports into src/');
    assert.deepEqual(offenders, []);
  });
});
