// Bundles the extension host code, the CLI and one browser bundle per webview (media/<name>/main.ts).
//   node scripts/build.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const common = {
  bundle: true,
  minify: production,
  sourcemap: true,
  sourcesContent: !production,
  logLevel: 'info',
  absWorkingDir: root,
  legalComments: 'linked',
};

// dist/features/<name>.js: each exports activateFeature(host); the names are src/activation/featureTable.ts's.
export const FEATURES = {
  kernels: 'src/kernels/vscode/kernelsFeature.ts',
  gpu: 'src/gpu/vscode/gpuFeature.ts',
  tracking: 'src/tracking/vscode/trackingFeature.ts',
  models: 'src/models/vscode/modelsFeature.ts',
  chat: 'src/chat/vscode/chatFeature.ts',
  doctor: 'src/doctor/vscode/doctorFeature.ts',
  data: 'src/data/vscode/dataFeature.ts',
  serving: 'src/serving/vscode/servingFeature.ts',
  modelCard: 'src/modelCard/vscode/modelCardFeature.ts',
  jobs: 'src/jobs/vscode/jobsFeature.ts',
};

/**
 * dist/extension.js: activate() and src/activation/ only, every feature a bundle of its own (below).
 * test/unit/activationBundle.test.ts builds it with these options and holds it to a budget.
 * @type {esbuild.BuildOptions}
 */
export const activationBuild = {
  ...common,
  entryPoints: { extension: 'src/extension.ts' },
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  // The first and last statements of the bundle: activation metrics report the load time between them.
  banner: { js: '"use strict";\nvar __mlEngineerLoadStart = performance.now();' },
  footer: { js: 'var __mlEngineerLoadEnd = performance.now();' },
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  activationBuild,
  {
    // Each feature's adapters, required the first time the feature is used (src/activation/): what
    // they share is copied into each, so nothing may rely on instanceof or a singleton across bundles.
    ...common,
    entryPoints: FEATURES,
    outdir: 'dist/features',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    // Heavy packages in bundles of their own, required on first use (docs/architecture.md).
    ...common,
    entryPoints: { anthropic: 'src/agent/lazy/anthropicSdk.ts', openai: 'src/agent/lazy/openaiSdk.ts', jupyter: 'src/kernels/lazy/jupyterServices.ts', tracking: 'src/tracking/lazy/trackingReaders.ts', studies: 'src/studies/lazy/studiesReaders.ts', models: 'src/models/lazy/modelsCore.ts', codeActions: 'src/models/lazy/codeActionsCore.ts', markdown: 'src/chat/lazy/markdownLexer.ts' },
    outdir: 'dist/lazy',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // ws tries these optional native speed-ups in a try/catch; it works without them.
    external: ['bufferutil', 'utf-8-validate'],
  },
  {
    // Readers of user files in worker threads, under a time and heap budget (src/common/worker/).
    ...common,
    entryPoints: { models: 'src/models/lazy/modelsWorker.ts', tracking: 'src/tracking/lazy/trackingWorker.ts', loadTest: 'src/serving/lazy/loadTestWorker.ts', studies: 'src/studies/lazy/studiesWorker.ts' },
    outdir: 'dist/workers',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // The data engine's child process (src/data/engine/): DuckDB's JavaScript bundled, its native
    // binding (@duckdb/node-bindings-<platform>) left external and copied to dist/node_modules/ below,
    // where Node's resolution from dist/engine/ finds it.
    ...common,
    entryPoints: { dataEngine: 'src/data/engine/engineProcess.ts' },
    outdir: 'dist/engine',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@duckdb/node-bindings-*'],
  },
  {
    // onnxruntime-web's Node build is an ES module that finds its .wasm beside itself through
    // import.meta.url: bundled to CommonJS, that URL is this file's, and the .wasm is copied next to it.
    ...common,
    entryPoints: { ort: 'src/models/lazy/onnxRuntime.ts' },
    outdir: 'dist/lazy',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "var __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    define: { __VERSION__: JSON.stringify(version) },
  },
  {
    ...common,
    entryPoints: readdirSync(join(root, 'media'), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(root, 'media', d.name, 'main.ts')))
        .flatMap((d) => [
          { in: `media/${d.name}/main.ts`, out: d.name },
          ...(existsSync(join(root, 'media', d.name, `${d.name}.css`)) ? [{ in: `media/${d.name}/${d.name}.css`, out: d.name }] : []),
        ]),
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: ['chrome120'],
  },
];

// The chat's highlight worker (media/chat/highlightWorker.ts), built first and handed to the chat
// bundle as text: a webview can start a worker from a blob: URL only, not from its own files.
async function defineHighlightWorker() {
  const worker = await esbuild.build({
    ...common,
    entryPoints: ['media/chat/highlightWorker.ts'],
    write: false,
    sourcemap: false,
    legalComments: 'none',
    platform: 'browser',
    format: 'iife',
    target: ['chrome120'],
    logLevel: 'warning',
  });
  const webview = builds.find((b) => b.outdir === 'dist/webview');
  webview.define = { ...webview.define, __HIGHLIGHT_WORKER__: JSON.stringify(worker.outputFiles[0].text) };
}

// Builds only when run (node scripts/build.mjs); a test imports the options above.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await defineHighlightWorker();
  if (watch) {
    const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
  } else {
    await Promise.all(builds.map((b) => esbuild.build(b)));
  }
  // The WebAssembly runtime dist/lazy/ort.js loads (see above).
  mkdirSync(join(root, 'dist', 'lazy'), { recursive: true });
  for (const file of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) {
    copyFileSync(join(root, 'node_modules', 'onnxruntime-web', 'dist', file), join(root, 'dist', 'lazy', file));
  }
}
// DuckDB's native binding for each platform installed in node_modules (npm installs the one for
// this machine; a release build for another target installs that one first: see README, Platforms).
// scripts/package.mjs names the one its target needs, so a VSIX carries one platform's binary.
const onlyBinding = process.env.ML_ENGINEER_DUCKDB_BINDING?.replace('@duckdb/', '');
const bindings = readdirSync(join(root, 'node_modules', '@duckdb')).filter((n) => n.startsWith('node-bindings-') && (!onlyBinding || n === onlyBinding));
// A packaging build drops the others an earlier build left in dist/ (a dev build leaves them: on
// Windows a running extension host holds its binding's DLL open).
if (onlyBinding && existsSync(join(root, 'dist', 'node_modules', '@duckdb'))) {
  for (const left of readdirSync(join(root, 'dist', 'node_modules', '@duckdb')).filter((n) => n !== onlyBinding)) {
    rmSync(join(root, 'dist', 'node_modules', '@duckdb', left), { recursive: true, force: true });
  }
}
for (const name of bindings) {
  const from = join(root, 'node_modules', '@duckdb', name);
  const to = join(root, 'dist', 'node_modules', '@duckdb', name);
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from)) copyFileSync(join(from, file), join(to, file));
}
// tree-sitter's runtime and Python grammar, which dist/lazy/codeActions.js loads from beside itself.
for (const file of ['tree-sitter.wasm', 'tree-sitter-python.wasm']) {
  copyFileSync(join(root, 'node_modules', '@vscode', 'tree-sitter-wasm', 'wasm', file), join(root, 'dist', 'lazy', file));
}
