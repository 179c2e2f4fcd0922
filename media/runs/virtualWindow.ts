/**
 * The rows a virtualised list draws: those in the viewport and `overscan` on either side, so a
 * table of 50,000 runs has a few dozen rows in the page. `last` is exclusive.
 */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, count: number, overscan = 8): { first: number; last: number } {
  if (count <= 0 || rowHeight <= 0) return { first: 0, last: 0 };
  const top = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const bottom = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight) + overscan;
  const first = Math.min(top, count);
  return { first, last: Math.min(count, Math.max(first, bottom)) };
}

/** The scrollTop that shows row `index` whole (unchanged when it already is). */
export function scrollToShow(index: number, scrollTop: number, viewportHeight: number, rowHeight: number, headerHeight = 0): number {
  const top = index * rowHeight;
  const visibleTop = scrollTop;
  const visibleBottom = scrollTop + viewportHeight - headerHeight;
  if (top < visibleTop) return top;
  if (top + rowHeight > visibleBottom) return top + rowHeight - (viewportHeight - headerHeight);
  return scrollTop;
}
