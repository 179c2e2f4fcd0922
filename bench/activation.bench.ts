// Activation in the real extension host (code-server), beside a baseline extension that only
// creates a log channel, activated by the same event in the same window. Several fresh
// windows; medians reported. What loads without a click after activate() has returned (the GPU
// feature, for its status bar item) is measured too: off the activation path, but not free.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseActivationLine, parseFeatureLine, type ActivationMetrics, type FeatureLoad } from '../src/common/heavyModules';
import { assertCodeServerInstalled, repoRoot, startCodeServer } from '../test/e2e/support/codeServer';
import { launchBrowser, openWorkbench } from '../test/e2e/support/workbench';
import { median, withBaseline, type BenchMetric } from './metric';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const baselineDir = join(__dirname, 'fixtures/baseline-extension');

async function waitFor<T>(read: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for an activation line');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const activation = (log: string): ActivationMetrics | undefined => log.split('\n').map(parseActivationLine).find(Boolean);
const featureLoad = (log: string, name: string): FeatureLoad | undefined => log.split('\n').map(parseFeatureLine).find((f) => f?.feature === name);

export async function run(): Promise<BenchMetric[]> {
  assertCodeServerInstalled(); // before the packaging it would waste
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: 'ignore' });
  const ours: ActivationMetrics[] = [];
  const baseline: ActivationMetrics[] = [];
  const gpuLoads: FeatureLoad[] = [];
  const browser = await launchBrowser();
  try {
    for (let i = 0; i < RUNS; i++) {
      const server = await startCodeServer({ workspaceSource: join(repoRoot, 'examples'), extraExtensions: [baselineDir] });
      try {
        const page = await openWorkbench(browser, server);
        ours.push(await waitFor(() => activation(server.extensionLog()), 60_000));
        baseline.push(await waitFor(() => activation(server.channelLog('mlengineer-bench.baseline', 'Baseline')), 60_000));
        gpuLoads.push(await waitFor(() => featureLoad(server.extensionLog(), 'gpu'), 60_000));
        await page.close();
      } finally {
        await server.stop();
      }
      process.stderr.write(`run ${i + 1}/${RUNS}: ours ${JSON.stringify(ours.at(-1))} baseline ${JSON.stringify(baseline.at(-1))} then ${JSON.stringify(gpuLoads.at(-1))}\n`);
    }
  } finally {
    await browser.close();
  }
  const heavy = new Set(ours.flatMap((m) => m.heavy_modules_loaded));
  return [
    withBaseline('activate_ms', median(ours.map((m) => m.activate_ms)), 'ms', median(baseline.map((m) => m.activate_ms))),
    withBaseline('load_ms', median(ours.map((m) => m.load_ms)), 'ms', median(baseline.map((m) => m.load_ms))),
    // The target: activate() and evaluating dist/extension.js together.
    withBaseline('activation_total_ms', median(ours.map((m) => m.activate_ms + m.load_ms)), 'ms', median(baseline.map((m) => m.activate_ms + m.load_ms))),
    // The task right after activate(): views, editors and code actions registered (Features.registerViews).
    withBaseline('activation_later_ms', median(ours.map((m) => m.later_ms ?? NaN)), 'ms'),
    withBaseline('gpu_feature_load_ms_after_activation', median(gpuLoads.map((f) => f.load_ms)), 'ms'),
    withBaseline('bundle_bytes', statSync(join(repoRoot, 'dist/extension.js')).size, 'bytes', statSync(join(baselineDir, 'extension.js')).size),
    withBaseline('heavy_modules_loaded', heavy.size, 'modules'),
  ];
}
