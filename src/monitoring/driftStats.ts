// The drift statistics' arithmetic, as scipy computes them (scipy 1.10, the version Debian ships and
// the tests check against to 1e-9): the p-value of the two-sample Kolmogorov-Smirnov statistic,
// chi-squared's homogeneity test on a 2×k table, Jensen-Shannon distance, PSI. The statistics'
// inputs (empirical CDF differences, counts per category, per bin) come from DuckDB queries
// (driftScan.ts); what is here runs on a handful of numbers per column.

/** scipy's ks_2samp(method='auto'): exact when both samples are at most this large. */
export const KS_EXACT_MAX_N = 10_000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * ks_2samp's two-sided p-value for statistic `d` with sample sizes n1, n2: scipy's exact lattice-path
 * computation (_compute_prob_outside_square for equal sizes, _compute_outer_prob_inside_method
 * otherwise) where both are ≤ 10,000, else the asymptotic Kolmogorov distribution (see ksAsymptotic).
 */
export function ksPValue(d: number, n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return NaN;
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    if (h === 0) return 1;
    const p = n1 === n2 ? outsideSquare(n1, h) : outerInside(n1, n2, g, h);
    if (Number.isFinite(p) && p >= 0 && p <= 1) return p;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  return Math.min(1, Math.max(0, ksAsymptotic(d, (m * n) / (m + n))));
}

function outsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

function outerInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const a = new Float64Array(lenA).fill(1);
  a.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (a[jj + minj - lastminj]! * i + val * j) / (i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) a.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return a[maxj - minj - 1]!;
}

/**
 * Kolmogorov's limiting distribution's survival function at sqrt(en)·d (scipy's kstwobign.sf). scipy
 * uses kstwo.sf(d, round(en)) here, the exact one-sample distribution, which this approaches as en
 * grows: they differ by about 1e-3 at en = 1000. Only samples over 10,000 rows take this path.
 */
export function ksAsymptotic(d: number, en: number): number {
  const z = Math.sqrt(en) * d;
  if (z < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * z * z);
    sum += (k % 2 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return 2 * sum;
}

// ln Γ by Lanczos (g = 7, n = 9): ~1e-15 relative, enough for p-values checked to 1e-9.
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The regularized upper incomplete gamma Q(a, x): a series below a + 1, Lentz's continued fraction above. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  return Math.exp(lead) * h;
}

/** chi2.sf(x, dof). */
export function chiSquaredSf(x: number, dof: number): number {
  return gammaQ(dof / 2, x / 2);
}

/**
 * scipy's chi2_contingency on the 2×k table of reference and current counts per category
 * (Yates' correction when dof = 1, as scipy does by default): the statistic and its p-value.
 */
export function chiSquaredHomogeneity(reference: readonly number[], current: readonly number[]): { statistic: number; pValue: number; dof: number } {
  const k = reference.length;
  const rowR = reference.reduce((s, v) => s + v, 0);
  const rowC = current.reduce((s, v) => s + v, 0);
  const total = rowR + rowC;
  const dof = k - 1;
  if (dof <= 0 || rowR === 0 || rowC === 0) return { statistic: 0, pValue: 1, dof: Math.max(0, dof) };
  let statistic = 0;
  for (let j = 0; j < k; j++) {
    const col = reference[j]! + current[j]!;
    for (const [observed0, row] of [[reference[j]!, rowR], [current[j]!, rowC]] as const) {
      const expected = (row * col) / total;
      let observed = observed0;
      if (dof === 1) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, pValue: chiSquaredSf(statistic, dof), dof };
}

/**
 * Evidently's Z-test for two proportions (proportions_diff_z_stat_ind, two-sided): the share of the
 * first category per side, pooled variance. Its p-value 2·(1 − Φ(|z|)) is the χ² survival at z² with
 * one degree of freedom, computed so without cancellation. One value on both sides: no difference (p 1).
 */
export function proportionsZTest(reference: readonly number[], current: readonly number[]): { statistic: number; pValue: number } {
  const n1 = reference.reduce((s, v) => s + v, 0);
  const n2 = current.reduce((s, v) => s + v, 0);
  const p1 = (reference[0] ?? 0) / n1;
  const p2 = (current[0] ?? 0) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(variance);
  return { statistic: z, pValue: chiSquaredSf(z * z, 1) };
}

/** scipy.spatial.distance.jensenshannon(p, q) (natural log): p and q normalised first. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((s, v) => s + v, 0);
  const sq = q.reduce((s, v) => s + v, 0);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, js) / 2);
}

/** Population stability index over shares per bin or category; an empty share counts as 0.0001 (Evidently's rule). */
export function psi(reference: readonly number[], current: readonly number[]): number {
  const sr = reference.reduce((s, v) => s + v, 0);
  const sc = current.reduce((s, v) => s + v, 0);
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! / sr || 0.0001;
    const c = current[i]! / sc || 0.0001;
    total += (r - c) * Math.log(r / c);
  }
  return total;
}
