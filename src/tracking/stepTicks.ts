/**
 * Tick increments for an x axis of steps: whole numbers only (1, 2, 5, 10, 20, 50, …), so a run
 * with three steps is labelled 0, 1, 2 and never 0.5. Plain module: the compare webview imports it.
 */
export const STEP_INCREMENTS: readonly number[] = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/** Step tick labels: whole numbers with thousands separators, short for the large ones (12k, 3.5M). */
export function stepLabel(step: number): string {
  const abs = Math.abs(step);
  if (abs >= 1e6) return `${Number((step / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((step / 1e3).toPrecision(3))}k`;
  return step.toLocaleString('en-US');
}
