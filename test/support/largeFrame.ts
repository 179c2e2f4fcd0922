import { readFileSync } from 'node:fs';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { inspectKernel } from '../../src/kernels/kernelInspection';

/**
 * A cell that makes `big`: a 10-million-row pandas DataFrame (about 260 MB: int64 id, float64 x
 * with 1 % NaN, a 10-value category, datetimes), the same rows on every run (seeded).
 */
export const LARGE_FRAME_CELL = String.raw`
import numpy as np, pandas as pd, gc
_rng = np.random.default_rng(7)
_n = 10_000_000
big = pd.DataFrame({
    "id": np.arange(_n, dtype=np.int64),
    "x": _rng.standard_normal(_n),
    "g": pd.Categorical.from_codes(_rng.integers(0, 10, _n), ["c%d" % i for i in range(10)]),
    "t": pd.Timestamp("2020-01-01") + pd.to_timedelta(_rng.integers(0, 10**9, _n), unit="s"),
})
big.loc[::100, "x"] = np.nan
del _rng, _n
gc.collect()
`;

export const LARGE_FRAME_ROWS = 10_000_000;

/** The kernel process's resident memory in MB (Linux /proc; the kernel runs on this machine). */
export async function kernelRssMb(kernel: KernelConnection): Promise<number> {
  const { pid } = await inspectKernel(kernel, 30_000);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) / 1024;
}
