/**
 * TensorBoard's smoothing: an exponential moving average debiased for its start (so the first
 * points are not pulled toward zero). NaN, infinities and gaps pass through unchanged.
 */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - weight ** count);
  });
}
