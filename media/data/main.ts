import type { ColumnFilter, ColumnSummary, DatasetColumn, DatasetInfo, DatasetView, LabelBalance, SortKey } from '../../src/data/datasetSource';
import type { DatasetHeading, FromDataView, ToDataView } from '../../src/data/protocol';
import { formatBytes } from '../../src/common/units';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';
import { describeFilter, parseValue } from './format';
import { DataGrid } from './grid';
import { PageCache } from './pageCache';
import { comparisonCard } from './comparisonCard';
import { balanceCard, summaryCard, type SummaryState } from './summaryPanel';

// The Dataset grid: rows paged from the host as they come into view (older pages' requests
// cancelled, a small LRU of pages kept), sort and filters the engine applies to the whole file,
// summaries of the columns in view, a target column's label balance, Copy as Code and Compare
// with…. The page owns the view; each view it sends gets a new number, and answers for older
// ones are ignored on both sides.

const PAGE_ROWS = 200;
const PAGES_KEPT = 24;

let heading: DatasetHeading | undefined;
let info: DatasetInfo | undefined;
let infoGen = -1;
let view: DatasetView = { filters: [], sort: [] };
let gen = 0;
let nextId = 1;
let target: string | undefined;
let balance: { state: 'loading'; id: number } | { state: 'done'; balance: LabelBalance } | { state: 'failed'; message: string } | undefined;
const pages = new PageCache(PAGE_ROWS, PAGES_KEPT);
const summaries = new Map<string, SummaryState & { id?: number }>();
const root = document.getElementById('root')!;

const post = (message: FromDataView): void => postToHost<FromDataView>(message);

// Header: what this is, how big, and the actions.
const title = element('h1', { className: 'title' });
const facts = element('span', { className: 'facts muted', attrs: { 'aria-live': 'polite' } });
const jump = element('input', { className: 'jump', attrs: { type: 'text', inputmode: 'numeric', placeholder: 'Go to row', 'aria-label': 'Go to row', size: '10' } });
const codeMenu = element('select', { className: 'code', attrs: { 'aria-label': 'Copy as Code', title: 'Copy code that reproduces this view' } }, [
  element('option', { text: 'Copy as Code…', attrs: { value: '' } }),
  element('option', { text: 'pandas', attrs: { value: 'pandas' } }),
  element('option', { text: 'polars', attrs: { value: 'polars' } }),
  element('option', { text: 'SQL (DuckDB)', attrs: { value: 'sql' } }),
]);
const compareButton = element('button', { className: 'secondary compare', text: 'Compare with…', attrs: { title: 'Compare with a second file: schema differences and rows in both (leakage)' } });
const summaryToggle = element('button', { className: 'secondary', text: 'Summary', attrs: { 'aria-pressed': 'true', title: 'Show or hide the column summaries' } });
const chips = element('div', { className: 'chips', attrs: { 'aria-label': 'Filters and sort' } });
const status = element('p', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const error = element('p', { className: 'error banner', attrs: { role: 'alert', hidden: '' } });
const side = element('aside', { className: 'side', attrs: { 'aria-label': 'Column summaries' } });
const grid = new DataGrid({
  row: (index) => pages.row(index),
  inView: (rows, columns) => {
    fetchRows(rows.first, rows.last);
    summarize(columns.first, columns.last);
  },
  sort: (column, additive) => sortBy(column, additive),
  menu: (column, anchor) => openMenu(column, anchor),
  copy: ({ first, last, column }) => {
    if (!info) return;
    // The host copies at most MAX_COPY_ROWS (protocol.ts); a bigger selection goes with its size, for the notice to say so.
    const count = Math.min(last - first, 10_000);
    post({ type: 'copyRows', gen, offset: first, count, ...(last - first > count ? { selected: last - first } : {}), columns: column ? [column] : null, header: column === undefined });
  },
});
grid.element.addEventListener('click', (event) => grid.click(event));

root.append(
  element('header', { className: 'toolbar' }, [title, facts, element('span', { className: 'spacer' }), jump, codeMenu, compareButton, summaryToggle]),
  chips,
  error,
  element('div', { className: 'main' }, [grid.element, side]),
  status,
);

function showFacts(): void {
  if (!info) return;
  const filtered = info.viewRows !== info.totalRows ? `${info.viewRows.toLocaleString('en-US')} of ` : '';
  const size = info.fileBytes !== undefined ? ` · ${formatBytes(info.fileBytes)}` : '';
  const rows = info.rowsExact === false ? `${info.totalRows.toLocaleString('en-US')}+ rows (counting)` : `${info.totalRows.toLocaleString('en-US')} rows`;
  facts.textContent = `${filtered}${rows} · ${info.columns.length} columns${size}`;
}

/** Sends the current view under a new number; everything asked for the old one is forgotten. */
function applyView(next: DatasetView): void {
  // A new sort or filter starts at the top; the same view again (the data changed) stays where it was.
  if (next !== view) grid.toTop();
  view = next;
  gen++;
  const cancel = pages.clear();
  for (const s of summaries.values()) if (s.id !== undefined && s.state === 'loading') cancel.push(s.id);
  if (balance?.state === 'loading') cancel.push(balance.id);
  if (cancel.length) post({ type: 'cancel', ids: cancel });
  summaries.clear();
  balance = undefined;
  drawChips();
  status.classList.remove('error');
  status.textContent = info ? 'Applying the sort and filters to every row…' : 'Reading the file…';
  post({ type: 'view', gen, view });
}

function fetchRows(first: number, last: number): void {
  if (!info) return;
  const plan = pages.plan(first, last, info.viewRows);
  if (plan.cancel.length) post({ type: 'cancel', ids: plan.cancel });
  for (const page of plan.fetch) {
    const { offset, limit } = pages.range(page, info.viewRows);
    if (limit <= 0) continue;
    const id = nextId++;
    pages.asked(page, id);
    post({ type: 'rows', gen, id, offset, limit });
  }
}

let summaryColumns: { first: number; last: number } = { first: 0, last: 0 };
function summarize(first: number, last: number): void {
  if (!info || side.hidden) return;
  if (first === summaryColumns.first && last === summaryColumns.last && [...summaries.keys()].length > 0) return;
  summaryColumns = { first, last };
  const wanted = new Set(info.columns.slice(first, last).map((c) => c.name));
  const cancel: number[] = [];
  for (const [name, s] of summaries) {
    if (!wanted.has(name) && s.state === 'loading') {
      if (s.id !== undefined) cancel.push(s.id);
      summaries.delete(name);
    }
  }
  if (cancel.length) post({ type: 'cancel', ids: cancel });
  for (const name of wanted) {
    if (summaries.has(name)) continue;
    const id = nextId++;
    summaries.set(name, { state: 'loading', id });
    post({ type: 'summarize', gen, id, column: name });
  }
  drawSide();
}

let comparison: HTMLElement | undefined;
function drawSide(): void {
  if (!info) return;
  const cards: HTMLElement[] = [];
  if (comparison) cards.push(comparison);
  if (target) {
    if (balance?.state === 'done') cards.push(balanceCard(balance.balance));
    else if (balance?.state === 'failed') cards.push(element('section', { className: 'card balance' }, [element('p', { className: 'error', text: `Label balance of ${target}: ${balance.message}` })]));
    else cards.push(element('section', { className: 'card balance' }, [element('p', { className: 'muted', text: `Label balance of ${target}: computing…` })]));
  }
  for (const column of info.columns.slice(summaryColumns.first, summaryColumns.last)) {
    cards.push(
      summaryCard(column.name, column.type, summaries.get(column.name) ?? { state: 'loading' }, () => {
        summaries.delete(column.name);
        summaryColumns = { first: 0, last: 0 };
        grid.redraw();
      }),
    );
  }
  side.replaceChildren(...cards);
}

const SORT_SETTLE_MS = 400;
let sortTimer: ReturnType<typeof setTimeout> | undefined;
function sortBy(column: string, additive: boolean): void {
  const current = view.sort.find((k) => k.column === column);
  let sort: SortKey[];
  if (additive) {
    // Shift+click: add it last, or flip it, or (descending already) drop it.
    if (!current) sort = [...view.sort, { column, descending: false }];
    else if (!current.descending) sort = view.sort.map((k) => (k.column === column ? { column, descending: true } : k));
    else sort = view.sort.filter((k) => k.column !== column);
  } else {
    // Click: ascending, then descending, then unsorted.
    if (!current || view.sort.length > 1) sort = [{ column, descending: current && view.sort.length === 1 ? !current.descending : false }];
    else sort = current.descending ? [] : [{ column, descending: true }];
  }
  // Clicks in quick succession (ascending, then descending; several Shift+clicks) become one
  // query: the header shows each click at once, the engine sorts only for the last.
  view = { ...view, sort };
  grid.setColumns(info?.columns ?? [], sort);
  drawChips();
  clearTimeout(sortTimer);
  sortTimer = setTimeout(() => applyView({ ...view }), SORT_SETTLE_MS);
}

function addFilter(filter: ColumnFilter): void {
  applyView({ ...view, filters: [...view.filters, filter] });
}

function drawChips(): void {
  const items: HTMLElement[] = [];
  view.filters.forEach((f, i) => {
    const remove = element('button', { className: 'remove', text: '×', attrs: { 'aria-label': `Remove filter ${describeFilter(f)}`, title: 'Remove this filter' } });
    remove.addEventListener('click', () => applyView({ ...view, filters: view.filters.filter((_, j) => j !== i) }));
    items.push(element('span', { className: 'chip filter' }, [element('span', { text: describeFilter(f) }), remove]));
  });
  view.sort.forEach((k) => {
    const remove = element('button', { className: 'remove', text: '×', attrs: { 'aria-label': `Stop sorting by ${k.column}`, title: 'Stop sorting by this column' } });
    remove.addEventListener('click', () => applyView({ ...view, sort: view.sort.filter((s) => s.column !== k.column) }));
    items.push(element('span', { className: 'chip sort' }, [element('span', { text: `${k.descending ? '▼' : '▲'} ${k.column}` }), remove]));
  });
  if (items.length > 1) {
    const clear = element('button', { className: 'secondary clear', text: 'Clear all' });
    clear.addEventListener('click', () => applyView({ filters: [], sort: [] }));
    items.push(clear);
  }
  chips.replaceChildren(...items);
  chips.hidden = items.length === 0;
}

// The column menu: sort, filter (range, equals, contains, is null, top-k), target.
const menu = element('div', { className: 'popover', attrs: { role: 'dialog', hidden: '' } });
root.append(menu);
function closeMenu(): void {
  // Focus in the menu would fall to the page's body: it goes back to the grid, keys keep working.
  const hadFocus = menu.contains(document.activeElement);
  menu.hidden = true;
  menu.replaceChildren();
  if (hadFocus) grid.element.focus();
}
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !menu.hidden) {
    closeMenu();
    grid.element.focus();
  }
});
document.addEventListener('pointerdown', (event) => {
  if (!menu.hidden && !menu.contains(event.target as Node) && !(event.target as HTMLElement).closest('.menu')) closeMenu();
});

function openMenu(column: DatasetColumn, anchor: HTMLElement): void {
  const action = (label: string, run: () => void): HTMLButtonElement => {
    const b = element('button', { className: 'secondary', text: label });
    b.addEventListener('click', () => {
      closeMenu();
      run();
    });
    return b;
  };
  const op = element('select', { attrs: { 'aria-label': 'Condition' } }, [
    element('option', { text: 'equals', attrs: { value: 'equals' } }),
    element('option', { text: 'contains', attrs: { value: 'contains' } }),
    element('option', { text: 'between (range)', attrs: { value: 'range' } }),
    element('option', { text: 'is null', attrs: { value: 'isNull' } }),
    element('option', { text: 'is not null', attrs: { value: 'notNull' } }),
    element('option', { text: 'in the top k values', attrs: { value: 'topK' } }),
  ]);
  const first = element('input', { attrs: { type: 'text', 'aria-label': 'Value', placeholder: 'value' } });
  const second = element('input', { attrs: { type: 'text', 'aria-label': 'Maximum', placeholder: 'max (blank: none)', hidden: '' } });
  const hint = element('p', { className: 'error', attrs: { hidden: '' } });
  const update = (): void => {
    const o = op.value;
    first.hidden = o === 'isNull' || o === 'notNull';
    second.hidden = o !== 'range';
    first.placeholder = o === 'range' ? 'min (blank: none)' : o === 'topK' ? 'k, e.g. 10' : o === 'contains' ? 'text' : 'value';
  };
  op.addEventListener('change', update);
  const apply = element('button', { text: 'Apply filter', attrs: { type: 'button' } });
  const submit = (): void => {
    const o = op.value;
    const name = column.name;
    let filter: ColumnFilter | undefined;
    if (o === 'equals') filter = { column: name, op: 'equals', value: parseValue(first.value, column.kind) };
    else if (o === 'contains') filter = { column: name, op: 'contains', text: first.value };
    else if (o === 'isNull' || o === 'notNull') filter = { column: name, op: 'isNull', ...(o === 'notNull' ? { negate: true } : {}) };
    else if (o === 'topK') {
      const k = Number(first.value);
      if (!Number.isInteger(k) || k < 1 || k > 10_000) {
        hint.textContent = 'k is a whole number from 1 to 10,000';
        hint.hidden = false;
        return;
      }
      filter = { column: name, op: 'topK', k };
    } else {
      const min = first.value.trim() === '' ? undefined : parseValue(first.value, column.kind);
      const max = second.value.trim() === '' ? undefined : parseValue(second.value, column.kind);
      if (min === undefined && max === undefined) {
        hint.textContent = 'Give a minimum, a maximum or both';
        hint.hidden = false;
        return;
      }
      filter = { column: name, op: 'range', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
    }
    closeMenu();
    addFilter(filter);
  };
  apply.addEventListener('click', submit);
  for (const input of [first, second]) input.addEventListener('keydown', (e) => e.key === 'Enter' && submit());
  menu.replaceChildren(
    element('h2', { text: column.name }),
    element('p', { className: 'muted', text: column.type }),
    element('div', { className: 'actions' }, [
      action('Sort ascending', () => applyView({ ...view, sort: [{ column: column.name, descending: false }] })),
      action('Sort descending', () => applyView({ ...view, sort: [{ column: column.name, descending: true }] })),
      action(target === column.name ? 'Clear target' : 'Use as target (label balance)', () => setTarget(target === column.name ? undefined : column.name)),
    ]),
    element('form', { className: 'filter-form', attrs: { 'aria-label': `Filter ${column.name}` } }, [element('div', { className: 'row' }, [op, first, second]), hint, apply]),
  );
  menu.querySelector('form')!.addEventListener('submit', (e) => e.preventDefault());
  update();
  const box = anchor.getBoundingClientRect();
  menu.hidden = false;
  menu.style.top = `${box.bottom + 4}px`;
  menu.style.left = `${Math.max(4, Math.min(box.left - 200, window.innerWidth - menu.offsetWidth - 8))}px`;
  first.focus();
}

function setTarget(column: string | undefined): void {
  if (balance?.state === 'loading') post({ type: 'cancel', ids: [balance.id] });
  target = column;
  balance = undefined;
  requestBalance();
  drawSide();
}

function requestBalance(): void {
  if (!target || !info || balance) return;
  const id = nextId++;
  balance = { state: 'loading', id };
  post({ type: 'balance', gen, id, column: target });
}

jump.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !info) return;
  const n = Number(jump.value.replace(/[,_\s]/g, ''));
  if (!Number.isInteger(n) || n < 1) {
    status.textContent = `"${jump.value}" is not a row number`;
    return;
  }
  grid.jumpTo(Math.min(n, info.viewRows) - 1);
  grid.element.focus();
});
codeMenu.addEventListener('change', () => {
  const language = codeMenu.value;
  codeMenu.value = '';
  if (language === 'pandas' || language === 'polars' || language === 'sql') post({ type: 'copyCode', gen, language });
});
// The target (label balance) goes with it: left out of the row key, its conflicts counted (compareFiles.ts).
compareButton.addEventListener('click', () => post({ type: 'compare', ...(target ? { target } : {}) }));
// Narrow panels (a 360-px editor group): the summaries go below the grid (data.css) and start
// hidden behind the toggle. The person's choice is kept for each width, so widening the panel
// brings the side panel back as it was.
const narrow = window.matchMedia('(max-width: 640px)');
const summariesShown = { narrow: false, wide: true };
function showSummaries(shown: boolean): void {
  side.hidden = !shown;
  summaryToggle.setAttribute('aria-pressed', String(shown));
  summaryColumns = { first: 0, last: 0 };
  grid.redraw();
}
summaryToggle.addEventListener('click', () => {
  summariesShown[narrow.matches ? 'narrow' : 'wide'] = side.hidden;
  showSummaries(side.hidden);
});
narrow.addEventListener('change', () => showSummaries(summariesShown[narrow.matches ? 'narrow' : 'wide']));

onHostMessage<ToDataView>((message) => {
  switch (message.type) {
    case 'heading':
      heading = message.heading;
      title.textContent = heading.title;
      document.title = heading.title;
      compareButton.hidden = !heading.canCompare;
      codeMenu.hidden = !heading.canCopyCode;
      applyView(view);
      break;
    case 'changed':
      applyView(view);
      status.textContent = 'The file changed: reading it again…';
      break;
    case 'info':
      if (message.gen !== gen) return;
      // The exact count after the rows read so far, for the same view: only the count changes.
      if (info && infoGen === gen && info.rowsExact === false) {
        info = message.info;
        status.textContent = info.rowsExact === false ? 'Counting rows…' : (info.notes?.join(' ') ?? '');
        showFacts();
        grid.setRowCount(info.viewRows);
        break;
      }
      infoGen = gen;
      info = message.info;
      error.hidden = true;
      status.textContent = info.rowsExact === false ? 'Counting rows…' : (info.notes?.join(' ') ?? '');
      showFacts();
      grid.setColumns(info.columns, view.sort);
      grid.setRowCount(info.viewRows);
      summaryColumns = { first: 0, last: 0 };
      requestBalance();
      break;
    case 'page':
      if (message.gen !== gen) return;
      if (pages.receive(message.id, message.page.offset, message.page.rows)) grid.redraw();
      break;
    case 'summary':
      if (message.gen !== gen) return;
      receiveSummary(message.id, message.summary);
      break;
    case 'balance':
      if (message.gen !== gen || balance?.state !== 'loading' || balance.id !== message.id) return;
      balance = { state: 'done', balance: message.balance };
      drawSide();
      break;
    case 'comparison':
      comparison = comparisonCard(message.comparison, (keyColumns) => post({ type: 'compare', keyColumns: [...keyColumns], ...(target ? { target } : {}) }));
      if (side.hidden) summaryToggle.click();
      drawSide();
      break;
    case 'failed':
      if (message.gen !== gen) return;
      failed(message.id, message.message);
      break;
    case 'notice':
      status.textContent = message.text;
      status.classList.toggle('error', message.error === true);
      break;
  }
});

function receiveSummary(id: number, summary: ColumnSummary): void {
  const current = summaries.get(summary.column);
  if (current?.id !== id) return;
  summaries.set(summary.column, { state: 'done', summary });
  drawSide();
}

let viewRetried = -1;
function failed(id: number | undefined, text: string): void {
  if (id === undefined) {
    // The view itself failed. Asked once more (an engine that stopped starts again on the next
    // request); then said where the rows were, with Retry (a bad filter value, an unreadable file).
    if (viewRetried !== gen) {
      viewRetried = gen + 1;
      setTimeout(() => applyView(view), 500);
      return;
    }
    const retry = element('button', { className: 'secondary', text: 'Retry' });
    retry.addEventListener('click', () => applyView(view));
    error.replaceChildren(element('span', { text: `${text} ` }), retry);
    error.hidden = false;
    status.textContent = '';
    return;
  }
  // A failed page is asked again on the next draw, twice at most per view (never in a loop).
  if (pages.failed(id)) grid.redraw();
  for (const [name, s] of summaries) if (s.id === id) summaries.set(name, { state: 'failed', message: text, id });
  if (balance?.state === 'loading' && balance.id === id) balance = { state: 'failed', message: text };
  status.textContent = text;
  drawSide();
}

if (narrow.matches) showSummaries(false);
// The editor opened or was focused (keyboard only: Quick Open, then Open as Dataset): the keys go
// to the grid, not to the page's body.
const focusGrid = (): void => {
  if (document.activeElement === document.body || document.activeElement === null) grid.element.focus();
};
// After the event: a click that focused the page focuses what it clicked (the Go to row box) first.
window.addEventListener('focus', () => setTimeout(focusGrid, 0));
if (document.hasFocus()) focusGrid();
drawChips();
post({ type: 'ready' });
