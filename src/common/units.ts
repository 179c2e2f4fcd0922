// Sizes and counts for people: "1.23 GB", "25.6K". One place for the kernels view, the model
// viewer and the CLI; `decimals` is the precision of values under 10 (larger ones get one less).

export function formatBytes(bytes: number, decimals = 1): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? decimals : decimals - 1)} ${units[unit]}`;
}

/** Millions and billions with `decimals` digits, thousands with one less (at least one). */
export function formatCount(n: number, decimals = 1): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(decimals)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(decimals)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(Math.max(1, decimals - 1))}K`;
  return String(n);
}
