// fANOVA parameter importances as Optuna 3.1's default `get_param_importances` computes them
// (optuna/importance/_fanova): a random forest (sklearn's RandomForestRegressor defaults: bootstrap,
// every feature tried at each split, grown until leaves are pure) over the parameters' raw values,
// each categorical one-hot; per tree, the variance of a parameter's marginal over the search box
// divided by the tree's variance; the mean over trees. Same estimator, a different random stream,
// so figures differ by the forest's own noise (test/integration/studies.test.ts measures it).

/** One parameter: its columns in the encoded rows (one for a number, one per choice for a categorical). */
export interface FanovaInput {
  rows: readonly (readonly number[])[];
  y: readonly number[];
  bounds: readonly (readonly [number, number])[];
  groups: readonly (readonly number[])[];
}

interface Leaf {
  lo: number[];
  hi: number[];
  value: number;
}

/** 4× Optuna's 64 trees: half the forest's noise, so the ranks are Optuna's on average rather than one draw of them. */
export const FANOVA_TREES = 256;
const FEATURE_THRESHOLD = 1e-7; // sklearn's: values closer than this are one value

/** A seeded PRNG (mulberry32): the same forest for the same trials, every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One regression tree on a bootstrap sample (rows with their draw counts), as its leaves' boxes. */
function growTree(input: FanovaInput, rand: () => number): Leaf[] {
  const n = input.y.length;
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) weight[Math.floor(rand() * n)]! += 1;
  const leaves: Leaf[] = [];
  const grow = (rows: number[], lo: number[], hi: number[], depth: number): void => {
    let w = 0;
    let s = 0;
    let ss = 0;
    for (const r of rows) {
      w += weight[r]!;
      s += weight[r]! * input.y[r]!;
      ss += weight[r]! * input.y[r]! ** 2;
    }
    const value = s / w;
    const split = rows.length >= 2 && depth < 64 && ss / w - value * value > 1e-12 * Math.max(1, value * value) ? bestSplit(input, weight, rows, s, w, rand) : undefined;
    if (!split) {
      leaves.push({ lo, hi, value });
      return;
    }
    const left = rows.filter((r) => input.rows[r]![split.feature]! <= split.threshold);
    const right = rows.filter((r) => input.rows[r]![split.feature]! > split.threshold);
    grow(left, lo, hi.map((h, d) => (d === split.feature ? split.threshold : h)), depth + 1);
    grow(right, lo.map((l, d) => (d === split.feature ? split.threshold : l)), hi, depth + 1);
  };
  const rows = [...Array(n).keys()].filter((i) => weight[i]! > 0);
  grow(rows, input.bounds.map((b) => b[0]), input.bounds.map((b) => b[1]), 0);
  return leaves;
}

/** The split that most lowers the weighted squared error; features tried in a random order, first best kept (sklearn). */
function bestSplit(input: FanovaInput, weight: Float64Array, rows: number[], sum: number, total: number, rand: () => number): { feature: number; threshold: number } | undefined {
  const order = [...input.bounds.keys()];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let best: { feature: number; threshold: number } | undefined;
  let bestProxy = (sum * sum) / total; // no split
  for (const f of order) {
    const sorted = [...rows].sort((a, b) => input.rows[a]![f]! - input.rows[b]![f]!);
    let wl = 0;
    let sl = 0;
    for (let i = 0; i < sorted.length - 1; i++) {
      const r = sorted[i]!;
      wl += weight[r]!;
      sl += weight[r]! * input.y[r]!;
      const x = input.rows[r]![f]!;
      const next = input.rows[sorted[i + 1]!]![f]!;
      if (next <= x + FEATURE_THRESHOLD) continue;
      const sr = sum - sl;
      const proxy = (sl * sl) / wl + (sr * sr) / (total - wl);
      if (proxy > bestProxy + 1e-12 * Math.abs(bestProxy)) {
        bestProxy = proxy;
        let threshold = (x + next) / 2;
        if (threshold === next) threshold = x; // sklearn's guard against rounding up to the next value
        best = { feature: f, threshold };
      }
    }
  }
  return best;
}

const volume = (lo: readonly number[], hi: readonly number[], dims: readonly number[]): number => dims.reduce((v, d) => v * (hi[d]! - lo[d]!), 1);

/** Variance of the leaves' values over the search box, each leaf weighted by its volume. */
function treeVariance(leaves: readonly Leaf[], dims: readonly number[]): number {
  let w = 0;
  let s = 0;
  let ss = 0;
  for (const l of leaves) {
    const v = volume(l.lo, l.hi, dims);
    w += v;
    s += v * l.value;
    ss += v * l.value * l.value;
  }
  return w > 0 ? Math.max(0, ss / w - (s / w) ** 2) : 0;
}

/**
 * Variance over the box of `group`'s dimensions of the tree's marginal there (the other dimensions
 * averaged out). The marginal is Σ leaves a·[x in the leaf's box], a = value × the leaf's share of
 * the other dimensions' volume, so its moments come from the leaves' pairwise overlaps.
 */
function marginalVariance(leaves: readonly Leaf[], group: readonly number[], others: readonly number[], bounds: FanovaInput['bounds']): number {
  const box = group.reduce((v, d) => v * (bounds[d]![1] - bounds[d]![0]), 1);
  const rest = others.reduce((v, d) => v * (bounds[d]![1] - bounds[d]![0]), 1);
  if (!(box > 0) || !(rest > 0)) return 0;
  const a = leaves.map((l) => (l.value * volume(l.lo, l.hi, others)) / rest);
  let mean = 0;
  let square = 0;
  for (let i = 0; i < leaves.length; i++) {
    const li = leaves[i]!;
    mean += a[i]! * volume(li.lo, li.hi, group);
    square += a[i]! * a[i]! * volume(li.lo, li.hi, group);
    for (let j = i + 1; j < leaves.length; j++) {
      const lj = leaves[j]!;
      let overlap = 1;
      for (const d of group) {
        overlap *= Math.max(0, Math.min(li.hi[d]!, lj.hi[d]!) - Math.max(li.lo[d]!, lj.lo[d]!));
        if (overlap === 0) break;
      }
      if (overlap > 0) square += 2 * a[i]! * a[j]! * overlap;
    }
  }
  mean /= box;
  square /= box;
  return Math.max(0, square - mean * mean);
}

let fits = 0;
/** Forests fitted in this thread so far: tests check that the extension host fits none. */
export const fanovaFits = (): number => fits;

/** Each group's importance: its marginal's share of the variance, the mean over the trees whose variance is not 0. */
export function fanova(input: FanovaInput, options: { trees?: number; seed?: number } = {}): number[] {
  fits++;
  const rand = random(options.seed ?? 0);
  const dims = [...input.bounds.keys()];
  const sums = input.groups.map(() => 0);
  let counted = 0;
  for (let t = 0; t < (options.trees ?? FANOVA_TREES); t++) {
    const leaves = growTree(input, rand);
    const variance = treeVariance(leaves, dims);
    if (!(variance > 0)) continue;
    counted++;
    input.groups.forEach((group, g) => {
      const others = dims.filter((d) => !group.includes(d));
      sums[g]! += marginalVariance(leaves, group, others, input.bounds) / variance;
    });
  }
  return sums.map((s) => (counted ? s / counted : 0));
}
