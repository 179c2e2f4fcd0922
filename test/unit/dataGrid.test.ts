import assert from 'node:assert/strict';
import { cellDisplay, describeFilter, parseValue, statDisplay } from '../../media/data/format';
import { PageCache } from '../../media/data/pageCache';
import { clampVirtualTop, columnsInView, MAX_SCROLL_PX, rowsInView, scrollTopFor, spacerHeight, virtualTopFor, virtualTopShowing } from '../../media/data/scrollMap';

// The Dataset grid's arithmetic (media/data/): one scrollbar over millions of rows, and the pages
// it asks the host for as rows come into view.

describe('Dataset grid: the scrollbar over every row (scrollMap.ts)', () => {
  const H = 22;
  const V = 600;

  it('is the rows themselves while they fit a browser element', () => {
    const rows = 10_000;
    assert.equal(spacerHeight(rows, H), rows * H);
    for (const top of [0, 1234, 50_000, rows * H - V]) {
      assert.equal(virtualTopFor(top, rows, H, V), top);
      assert.equal(scrollTopFor(top, rows, H, V), top);
    }
  });

  it('scales past the limit: the thumb at the bottom shows the last row, in the middle the middle row', () => {
    const rows = 50_000_000;
    assert.equal(spacerHeight(rows, H), MAX_SCROLL_PX);
    const bottom = MAX_SCROLL_PX - V;
    const last = rowsInView(virtualTopFor(bottom, rows, H, V), V, H, rows);
    assert.equal(last.last, rows, 'the last row is in view');
    assert.ok(last.first > rows - V / H - 2);
    const middle = rowsInView(virtualTopFor(bottom / 2, rows, H, V), V, H, rows);
    assert.ok(Math.abs(middle.first - (rows - V / H) / 2) < 2, String(middle.first));
    // Round trip within a pixel of the scrollbar.
    for (const vt of [0, 123_456_789, rows * H - V]) assert.ok(Math.abs(virtualTopFor(scrollTopFor(vt, rows, H, V), rows, H, V) - vt) < (rows * H) / MAX_SCROLL_PX + 1);
  });

  it('clamps positions and keeps an empty or tiny table at the top', () => {
    assert.equal(clampVirtualTop(-5, 100, H, V), 0);
    assert.equal(clampVirtualTop(1e12, 100, H, V), 100 * H - V);
    assert.equal(clampVirtualTop(50, 3, H, V), 0);
    assert.deepEqual(rowsInView(0, V, H, 0), { first: 0, last: 0 });
    assert.deepEqual(rowsInView(0, V, H, 3), { first: 0, last: 3 });
    assert.equal(virtualTopFor(100, 3, H, V), 0);
  });

  it('moves as little as needed to show a row whole', () => {
    assert.equal(virtualTopShowing(5, 0, V, H), 0);
    assert.equal(virtualTopShowing(100, 0, V, H), 101 * H - V);
    assert.equal(virtualTopShowing(2, 10 * H, V, H), 2 * H);
  });

  it('finds the columns in view from their widths', () => {
    const widths = [100, 100, 100, 100, 100];
    assert.deepEqual(columnsInView(widths, 0, 250), { first: 0, last: 3 });
    assert.deepEqual(columnsInView(widths, 150, 100), { first: 1, last: 3 });
    assert.deepEqual(columnsInView(widths, 450, 1000), { first: 4, last: 5 });
    assert.deepEqual(columnsInView([], 0, 100), { first: 0, last: 0 });
  });
});

describe('Dataset grid: pages asked for and kept (pageCache.ts)', () => {
  it('asks for the pages in view first, then one around them, and not twice', () => {
    const cache = new PageCache(100, 10);
    const plan = cache.plan(250, 280, 10_000);
    assert.deepEqual(plan, { fetch: [2, 1, 3], cancel: [] });
    plan.fetch.forEach((p, i) => cache.asked(p, i + 1));
    assert.deepEqual(cache.plan(250, 280, 10_000).fetch, []);
    assert.deepEqual(cache.range(99, 9_950), { offset: 9_900, limit: 50 });
  });

  it('cancels the requests for pages scrolled past, and drops their late answers', () => {
    const cache = new PageCache(100, 10);
    for (const [i, p] of cache.plan(0, 30, 1_000_000).fetch.entries()) cache.asked(p, 100 + i);
    const far = cache.plan(500_000, 500_030, 1_000_000);
    assert.deepEqual(far.cancel.sort(), [100, 101]);
    assert.equal(cache.receive(100, 0, [[1]]), false, 'a cancelled page that still arrives is not kept');
    assert.equal(cache.row(0), undefined);
  });

  it('asks again for a page whose request failed, twice per view at most', () => {
    const cache = new PageCache(100, 10);
    let id = 0;
    const ask = (): number[] => cache.plan(0, 10, 1000, 0).fetch.map((p) => (cache.asked(p, ++id), p));
    assert.deepEqual(ask(), [0]);
    assert.equal(cache.failed(id), true);
    assert.deepEqual(ask(), [0]);
    assert.equal(cache.failed(id), true);
    assert.deepEqual(ask(), [0]);
    assert.equal(cache.failed(id), false, 'the third failure stays');
    assert.deepEqual(ask(), []);
    cache.clear();
    assert.deepEqual(ask(), [0], 'a new view starts afresh');
  });

  it('keeps the last pages used (LRU) and forgets all on a new view', () => {
    const cache = new PageCache(10, 3);
    for (let p = 0; p < 5; p++) {
      cache.asked(p, p);
      assert.ok(cache.receive(p, p * 10, [[p]]));
      if (p === 2) assert.deepEqual(cache.row(0), [0]); // page 0 used again: it outlives page 1
    }
    assert.equal(cache.size, 3);
    assert.deepEqual(cache.row(0), [0]);
    assert.equal(cache.row(10), undefined);
    assert.deepEqual(cache.row(45 - 5), [4]);
    cache.asked(7, 77);
    assert.deepEqual(cache.clear(), [77]);
    assert.equal(cache.size, 0);
  });
});

describe('Dataset grid: how values are written (format.ts)', () => {
  it('writes booleans as pandas prints them, True and False: cells, statistics, filters; and reads them back', () => {
    assert.equal(cellDisplay(true, 'boolean'), 'True');
    assert.equal(cellDisplay(false), 'False');
    assert.equal(statDisplay(true), 'True');
    assert.equal(describeFilter({ column: 'flag', op: 'equals', value: false }), 'flag = False');
    assert.equal(parseValue('True', 'boolean'), true);
    assert.equal(parseValue('false', 'boolean'), false);
    // Text that reads "true" stays text.
    assert.equal(cellDisplay('true', 'string'), 'true');
  });
});
