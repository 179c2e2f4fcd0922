// Millions of rows in one scrollbar. A browser caps an element's height (Chromium near 33.5M px),
// so past MAX_SCROLL_PX the scrollbar is scaled: the thumb's position is the fraction of the data
// above the viewport. The grid keeps its own position in "virtual" pixels (row * rowHeight), moves
// it by the wheel's and the keys' deltas (so a wheel notch moves a few rows, scaled or not) and
// reads it back from scrollTop only when the person drags the scrollbar.

export const MAX_SCROLL_PX = 8_000_000;

/** The height of the element the scrollbar spans. */
export function spacerHeight(rows: number, rowHeight: number): number {
  return Math.min(Math.max(0, rows) * rowHeight, MAX_SCROLL_PX);
}

/** The largest virtual position: the last row's bottom at the viewport's bottom. */
export function maxVirtualTop(rows: number, rowHeight: number, viewport: number): number {
  return Math.max(0, rows * rowHeight - viewport);
}

export function clampVirtualTop(top: number, rows: number, rowHeight: number, viewport: number): number {
  return Math.min(Math.max(0, top), maxVirtualTop(rows, rowHeight, viewport));
}

/** The virtual position a scrollTop stands for. */
export function virtualTopFor(scrollTop: number, rows: number, rowHeight: number, viewport: number): number {
  const real = maxVirtualTop(rows, rowHeight, viewport);
  const range = spacerHeight(rows, rowHeight) - viewport;
  if (real <= 0 || range <= 0) return 0;
  return (Math.min(Math.max(0, scrollTop), range) / range) * real;
}

/** The scrollTop that stands for a virtual position (the inverse of virtualTopFor). */
export function scrollTopFor(virtualTop: number, rows: number, rowHeight: number, viewport: number): number {
  const real = maxVirtualTop(rows, rowHeight, viewport);
  const range = spacerHeight(rows, rowHeight) - viewport;
  if (real <= 0 || range <= 0) return 0;
  return (clampVirtualTop(virtualTop, rows, rowHeight, viewport) / real) * range;
}

/** Rows [first, last) at least partly in view from a virtual position. */
export function rowsInView(virtualTop: number, viewport: number, rowHeight: number, rows: number): { first: number; last: number } {
  if (rows <= 0 || rowHeight <= 0) return { first: 0, last: 0 };
  const first = Math.min(rows - 1, Math.max(0, Math.floor(virtualTop / rowHeight)));
  const last = Math.min(rows, Math.ceil((virtualTop + Math.max(0, viewport)) / rowHeight));
  return { first, last: Math.max(first, last) };
}

/** The virtual position that shows row `index` whole, moving as little as possible. */
export function virtualTopShowing(index: number, virtualTop: number, viewport: number, rowHeight: number): number {
  const top = index * rowHeight;
  if (top < virtualTop) return top;
  if (top + rowHeight > virtualTop + viewport) return top + rowHeight - viewport;
  return virtualTop;
}

/** Columns [first, last) that overlap [left, left + width), from their widths. */
export function columnsInView(widths: readonly number[], left: number, width: number): { first: number; last: number } {
  let x = 0;
  let first = widths.length;
  let last = widths.length;
  for (let i = 0; i < widths.length; i++) {
    const right = x + widths[i]!;
    if (first === widths.length && right > left) first = i;
    if (x >= left + width) {
      last = i;
      break;
    }
    x = right;
  }
  return { first: Math.min(first, last), last };
}
