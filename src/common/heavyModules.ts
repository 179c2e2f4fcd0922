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

/** Lazily loaded bundles we build ourselves: dist/lazy/<name>.js, and each feature's dist/features/<name>.js. */
const LAZY_BUNDLE = /[\\/]dist[\\/](lazy|features)[\\/]([^\\/]+)\.js$/;
const HEAVY_PATH = new RegExp(`/node_modules/(${HEAVY_MODULES.map((m) => m.replace(/[.]/g, '\\.')).join('|')})/`);

/** Which heavy modules appear among the loaded module paths (e.g. `Object.keys(require.cache)`). */
export function loadedHeavyModules(modulePaths: readonly string[]): string[] {
  const found = new Set<string>();
  // One pass over every module the extension host has loaded (about 150), on the activation
  // path: a substring test first, the expressions only for a path that test lets through.
  for (const path of modulePaths) {
    if (path.includes('node_modules')) {
      const heavy = HEAVY_PATH.exec(path.replace(/\\/g, '/'));
      if (heavy?.[1]) found.add(heavy[1]);
    }
    if (path.includes('lazy') || path.includes('features')) {
      const lazy = LAZY_BUNDLE.exec(path);
      if (lazy?.[2]) found.add(`${lazy[1] === 'features' ? 'feature' : 'lazy'}:${lazy[2]}`);
    }
  }
  return [...found].sort();
}

export interface ActivationMetrics {
  /** Time from the first to the last statement of dist/extension.js (its evaluation in the extension host). */
  readonly load_ms: number;
  readonly activate_ms: number;
  /** The task right after activate(): the views, editors and code actions registered, the auto-loads scheduled. */
  readonly later_ms?: number;
  readonly heavy_modules_loaded: readonly string[];
}

/** The log line the benchmark and e2e tests read: `activation {...json}`. */
export const ACTIVATION_LOG_PREFIX = 'activation ';

/** The log line written when a feature's bundle loads: `feature {"feature":"kernels","load_ms":…,"reason":…}`. */
export const FEATURE_LOG_PREFIX = 'feature ';

export interface FeatureLoad {
  readonly feature: string;
  /** Requiring dist/features/<name>.js and its activateFeature(). */
  readonly load_ms: number;
  /** What asked for it: a command, a view, a notebook, another feature. */
  readonly reason: string;
}

export function parseFeatureLine(line: string): FeatureLoad | undefined {
  const at = line.indexOf(FEATURE_LOG_PREFIX + '{');
  if (at < 0) return undefined;
  try {
    const value = JSON.parse(line.slice(at + FEATURE_LOG_PREFIX.length)) as FeatureLoad;
    return typeof value.feature === 'string' && typeof value.load_ms === 'number' && typeof value.reason === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

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
