import type { Cell } from '../../src/data/datasetSource';

type Row = readonly Cell[];

/**
 * The rows the grid has, in pages of `pageSize`: the last `capacity` pages used (an LRU, so
 * scrolling a 10M-row file end to end keeps a few thousand rows in the page), and the pages asked
 * for. `plan` says which pages the rows in view need and which requests are for pages scrolled
 * past, to be cancelled.
 */
export class PageCache {
  private readonly pages = new Map<number, readonly Row[]>();
  /** Page index → the id of the request for it. */
  private readonly pending = new Map<number, number>();

  constructor(
    readonly pageSize: number,
    private readonly capacity: number,
  ) {}

  /** The row, if its page is here (and marks the page used). */
  row(index: number): Row | undefined {
    const page = Math.floor(index / this.pageSize);
    const rows = this.pages.get(page);
    if (!rows) return undefined;
    this.pages.delete(page);
    this.pages.set(page, rows);
    return rows[index - page * this.pageSize];
  }

  /**
   * For rows [first, last) of `total`, with `margin` pages around them: the pages to ask for
   * (neither here nor pending) and the ids of pending requests no longer needed.
   */
  plan(first: number, last: number, total: number, margin = 1): { fetch: number[]; cancel: number[] } {
    if (total <= 0 || last <= first) return { fetch: [], cancel: [...this.pending.values()] };
    const lastPage = Math.floor((total - 1) / this.pageSize);
    const from = Math.max(0, Math.floor(first / this.pageSize) - margin);
    const to = Math.min(lastPage, Math.floor((last - 1) / this.pageSize) + margin);
    const fetch: number[] = [];
    // The pages in view first, then the margins.
    const inView = [Math.floor(first / this.pageSize), Math.floor((last - 1) / this.pageSize)];
    for (let p = inView[0]!; p <= inView[1]!; p++) if (!this.pages.has(p) && !this.pending.has(p)) fetch.push(p);
    for (let p = from; p <= to; p++) if ((p < inView[0]! || p > inView[1]!) && !this.pages.has(p) && !this.pending.has(p)) fetch.push(p);
    const cancel: number[] = [];
    for (const [page, id] of this.pending) {
      if (page < from || page > to) {
        cancel.push(id);
        this.pending.delete(page);
      }
    }
    return { fetch, cancel };
  }

  /** Rows [offset, offset + limit) of page `page`, for `total` rows. */
  range(page: number, total: number): { offset: number; limit: number } {
    const offset = page * this.pageSize;
    return { offset, limit: Math.max(0, Math.min(this.pageSize, total - offset)) };
  }

  asked(page: number, id: number): void {
    this.pending.set(page, id);
  }

  /** A page arrived: kept if it was asked for (a cancelled one may still arrive). */
  receive(id: number, offset: number, rows: readonly Row[]): boolean {
    const page = Math.floor(offset / this.pageSize);
    if (this.pending.get(page) !== id) return false;
    this.pending.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > this.capacity) this.pages.delete(this.pages.keys().next().value!);
    return true;
  }

  /** Forgets everything (a new view); returns the pending ids to cancel. */
  clear(): number[] {
    const ids = [...this.pending.values()];
    this.pending.clear();
    this.pages.clear();
    return ids;
  }

  get size(): number {
    return this.pages.size;
  }
}
