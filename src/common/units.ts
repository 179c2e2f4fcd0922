// Sizes and counts for people: "1.2 GB", "25 KB", "25.6K". The one place for the kernels view, the
// model viewer, the CLI and the optimizers' reports: one decimal under 10, none above.

export interface ByteFormat {
  /** Three significant figures ("1.73 KB", "25.6 MB") where two sizes are set side by side and a
   * small change must show; the default rounds to one decimal under 10, none above. */
  readonly significant?: 3;
}

export function formatBytes(bytes: number, format: ByteFormat = {}): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (format.significant) return `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ${units[unit]}`;
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Millions and billions with one decimal, thousands too. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
