/**
 * Modules too heavy to load at activation. Each must be required on first use of its feature
 * (see docs/architecture.md, "Lazy loading"); the activation benchmark and an e2e test check
 * that none of them is in the module cache after activate().
 */
export const HEAVY_MODULES = [
  '@anthropic-ai/sdk',
  '@jupyterlab/services',
  'chart.js',
  'echarts',
  'vega',
  'vega-lite',
  'plotly.js',
  'onnxruntime-node',
  'onnxruntime-web',
] as const;

/** Lazily loaded bundles we build ourselves live in dist/lazy/<name>.js. */
const LAZY_BUNDLE = /[\\/]dist[\\/]lazy[\\/]([^\\/]+)\.js$/;

/** Which heavy modules appear among the loaded module paths (e.g. `Object.keys(require.cache)`). */
export function loadedHeavyModules(modulePaths: readonly string[]): string[] {
  const found = new Set<string>();
  for (const path of modulePaths) {
    const normalized = path.replace(/\\/g, '/');
    for (const name of HEAVY_MODULES) {
      if (normalized.includes(`/node_modules/${name}/`)) found.add(name);
    }
    const lazy = LAZY_BUNDLE.exec(path);
    if (lazy?.[1]) found.add(`lazy:${lazy[1]}`);
  }
  return [...found].sort();
}

export interface ActivationMetrics {
  /** Time from the first to the last statement of dist/extension.js (its evaluation in the extension host). */
  readonly load_ms: number;
  readonly activate_ms: number;
  readonly heavy_modules_loaded: readonly string[];
}

/** The log line the benchmark and e2e tests read: `activation {...json}`. */
export const ACTIVATION_LOG_PREFIX = 'activation ';

export function parseActivationLine(line: string): ActivationMetrics | undefined {
  const at = line.indexOf(ACTIVATION_LOG_PREFIX + '{');
  if (at < 0) return undefined;
  try {
    const value = JSON.parse(line.slice(at + ACTIVATION_LOG_PREFIX.length)) as ActivationMetrics;
    return typeof value.activate_ms === 'number' && typeof value.load_ms === 'number' && Array.isArray(value.heavy_modules_loaded)
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
