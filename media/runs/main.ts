import type { FromRunsView, RunsTableCell, RunsTableColumn, RunsTableRow, ToRunsView } from '../../src/tracking/runsTableProtocol';
import { formatDuration, formatMetric } from '../../src/tracking/runQuery';
import { firstSortDescending, sortRows, type FixedColumn, type TableSort } from '../../src/tracking/runsTableSort';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';
import { scrollToShow, visibleRange } from './virtualWindow';

// The runs table: every run of every source, a column per chosen metric and param, sorted here
// across sources by any column. Rows are virtualised (only those in view are in the page), the
// filter is the Experiments tree's, a click reveals the run in the tree, and the checked runs
// open in Compare Runs. Keyboard: arrows, Page Up/Down, Home/End move; Space checks; Enter reveals.

type Data = Extract<ToRunsView, { type: 'data' }>;

const ROW_HEIGHT = 24;
const FIXED: readonly { id: FixedColumn; label: string; width: string }[] = [
  { id: 'name', label: 'Run', width: '220px' },
  { id: 'status', label: 'Status', width: '84px' },
  { id: 'source', label: 'Source', width: '120px' },
  { id: 'experiment', label: 'Experiment', width: '140px' },
  { id: 'started', label: 'Started', width: '130px' },
  { id: 'duration', label: 'Duration', width: '80px' },
];

const root = document.getElementById('root')!;
let data: Data | undefined;
let rows: RunsTableRow[] = [];
let sort: TableSort | undefined;
let active = -1;
const selected = new Set<string>();

const filterInput = element('input', { className: 'filter', attrs: { type: 'search', 'aria-label': 'Filter runs', placeholder: 'Filter: val_loss<0.4 model=mlp status:finished', spellcheck: 'false', 'aria-describedby': 'filter-error' } });
const filterError = element('p', { className: 'filter-error', attrs: { id: 'filter-error', role: 'alert', hidden: '' } });
const notes = element('p', { className: 'notes muted', attrs: { hidden: '' } });
const count = element('span', { className: 'count muted', attrs: { 'aria-live': 'polite' } });
const compareButton = element('button', { className: 'compare', text: 'Compare', attrs: { disabled: '', title: 'Open the checked runs in Compare Runs' } });
const columnSearch = element('input', { attrs: { type: 'search', placeholder: 'Find a column', 'aria-label': 'Find a column' } });
const metricChoices = element('fieldset', {}, []);
const paramChoices = element('fieldset', {}, []);
const picker = element('details', { className: 'picker' }, [element('summary', { text: 'Columns' }), element('div', { className: 'choices' }, [columnSearch, metricChoices, paramChoices])]);
const header = element('div', { className: 'row head', attrs: { role: 'row', 'aria-rowindex': '1' } });
const body = element('div', { className: 'body', attrs: { role: 'rowgroup' } });
const empty = element('p', { className: 'empty muted', attrs: { hidden: '' } });
const grid = element('div', { className: 'grid', attrs: { role: 'grid', 'aria-label': 'Runs', 'aria-multiselectable': 'true', tabindex: '0' } }, [header, body]);

root.append(element('div', { className: 'toolbar' }, [filterInput, count, picker, compareButton]), filterError, notes, grid, empty);

function chosen(): readonly RunsTableColumn[] {
  return data?.columns ?? [];
}

function columnLabel(column: FixedColumn | number): string {
  if (typeof column === 'number') return chosen()[column]?.key ?? '';
  return FIXED.find((f) => f.id === column)!.label;
}

function directionOf(column: FixedColumn | number): 'lower' | 'higher' | null {
  return typeof column === 'number' ? (data?.directions[column] ?? null) : null;
}

function cellText(value: RunsTableCell, column: RunsTableColumn): string {
  if (value === null) return '–';
  if (column.kind === 'param') return String(value);
  if (typeof value === 'number') return formatMetric(value);
  return value === 'inf' ? '∞' : value === '-inf' ? '-∞' : value;
}

function startedText(ms: number | null): string {
  if (ms === null) return '–';
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function layout(): void {
  const widths = ['30px', ...FIXED.map((f) => f.width), ...chosen().map(() => '112px')];
  grid.style.setProperty('--columns', widths.join(' '));
  grid.setAttribute('aria-colcount', String(widths.length));
}

function renderHeader(): void {
  const cells: HTMLElement[] = [element('div', { className: 'cell', attrs: { role: 'columnheader', 'aria-label': 'Checked' } })];
  const columns: (FixedColumn | number)[] = [...FIXED.map((f) => f.id), ...chosen().map((_, i) => i)];
  for (const column of columns) {
    const sorted = sort?.column === column;
    const direction = directionOf(column);
    const kind = typeof column === 'number' ? chosen()[column]!.kind : undefined;
    const label = columnLabel(column);
    const button = element('button', {
      className: 'sort',
      text: `${label}${sorted ? (sort!.descending ? ' ▼' : ' ▲') : ''}`,
      attrs: {
        title: `${kind === 'metric' ? `metric ${label}: last value${direction ? `, ${direction} is better` : ''}` : kind === 'param' ? `param ${label}` : label}. Click to sort${direction ? ' (best first)' : ''}; again to reverse.`,
        'data-column': typeof column === 'number' ? `${kind}:${label}` : column,
      },
    });
    button.addEventListener('click', () => sortBy(column));
    cells.push(element('div', { className: `cell${kind ? ` ${kind}` : ''}`, attrs: { role: 'columnheader', 'aria-sort': sorted ? (sort!.descending ? 'descending' : 'ascending') : 'none' } }, [button]));
  }
  header.replaceChildren(...cells);
}

function sortBy(column: FixedColumn | number): void {
  sort = sort?.column === column ? { column, descending: !sort.descending } : { column, descending: firstSortDescending(directionOf(column), column) };
  const activeKey = rows[active]?.key;
  rows = sortRows(data?.rows ?? [], sort);
  active = activeKey ? rows.findIndex((r) => r.key === activeKey) : -1;
  renderHeader();
  renderRows();
}

function headerHeight(): number {
  return header.offsetHeight || ROW_HEIGHT;
}

/** Draws the rows in view (and a few around them): the page holds dozens of rows, whatever the count. */
function renderRows(): void {
  body.style.height = `${rows.length * ROW_HEIGHT}px`;
  grid.setAttribute('aria-rowcount', String(rows.length + 1));
  const { first, last } = visibleRange(grid.scrollTop, grid.clientHeight - headerHeight(), ROW_HEIGHT, rows.length);
  const drawn: HTMLElement[] = [];
  for (let i = first; i < last; i++) drawn.push(rowElement(rows[i]!, i));
  body.replaceChildren(...drawn);
  if (active >= 0 && active < rows.length) grid.setAttribute('aria-activedescendant', `row-${active}`);
  else grid.removeAttribute('aria-activedescendant');
  const checked = rows.filter((r) => selected.has(r.key)).length;
  compareButton.textContent = checked > 0 ? `Compare ${checked}` : 'Compare';
  compareButton.toggleAttribute('disabled', checked === 0);
}

function rowElement(row: RunsTableRow, index: number): HTMLElement {
  const isSelected = selected.has(row.key);
  const box = element('input', { attrs: { type: 'checkbox', tabindex: '-1', 'aria-label': `Check ${row.name}`, ...(isSelected ? { checked: '' } : {}) } });
  box.addEventListener('click', (event) => {
    event.stopPropagation();
    toggle(index);
  });
  const cells: HTMLElement[] = [
    element('div', { className: 'cell', attrs: { role: 'gridcell' } }, [box]),
    element('div', { className: 'cell name', text: row.name, attrs: { role: 'gridcell', title: `${row.name}${row.problems ? ` (${row.problems} problem${row.problems === 1 ? '' : 's'})` : ''}` } }),
    element('div', { className: `cell status ${row.status}`, text: row.status, attrs: { role: 'gridcell' } }),
    element('div', { className: 'cell', text: row.source, attrs: { role: 'gridcell' } }),
    element('div', { className: 'cell', text: row.experiment, attrs: { role: 'gridcell', title: row.experiment } }),
    element('div', { className: 'cell', text: startedText(row.started), attrs: { role: 'gridcell' } }),
    element('div', { className: 'cell num', text: row.duration === null ? '–' : formatDuration(row.duration), attrs: { role: 'gridcell' } }),
    ...chosen().map((column, i) => {
      const value = row.cells[i] ?? null;
      const text = cellText(value, column);
      const bad = column.kind === 'metric' && typeof value === 'string';
      return element('div', { className: `cell ${column.kind === 'metric' ? 'num' : ''}${value === null ? ' unset' : ''}${bad ? ' bad' : ''}`, text, attrs: { role: 'gridcell', title: text, 'data-column': `${column.kind}:${column.key}` } });
    }),
  ];
  const el = element('div', { className: `row${isSelected ? ' selected' : ''}${index === active ? ' active' : ''}`, attrs: { role: 'row', id: `row-${index}`, 'aria-rowindex': String(index + 2), 'aria-selected': String(isSelected), 'data-key': row.key } }, cells);
  el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
  el.addEventListener('click', () => {
    setActive(index);
    postToHost<FromRunsView>({ type: 'reveal', key: row.key });
  });
  return el;
}

function toggle(index: number): void {
  const row = rows[index];
  if (!row) return;
  if (selected.has(row.key)) selected.delete(row.key);
  else selected.add(row.key);
  setActive(index);
}

function setActive(index: number): void {
  active = Math.max(0, Math.min(rows.length - 1, index));
  grid.scrollTop = scrollToShow(active, grid.scrollTop, grid.clientHeight, ROW_HEIGHT, headerHeight());
  renderRows();
}

grid.addEventListener('scroll', () => requestAnimationFrame(renderRows));
window.addEventListener('resize', () => renderRows());
grid.addEventListener('keydown', (event) => {
  if (event.target !== grid || rows.length === 0) return;
  const page = Math.max(1, Math.floor((grid.clientHeight - headerHeight()) / ROW_HEIGHT) - 1);
  const moves: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + page, PageUp: active - page, Home: 0, End: rows.length - 1 };
  if (event.key in moves) setActive(moves[event.key]!);
  else if (event.key === ' ' && active >= 0) toggle(active);
  else if (event.key === 'Enter' && rows[active]) postToHost<FromRunsView>({ type: 'reveal', key: rows[active]!.key });
  else return;
  event.preventDefault();
});
// Tabbing in starts at the first row; a click picks its own row (redrawing here would lose it).
let pointing = false;
grid.addEventListener('pointerdown', () => (pointing = true), { capture: true });
grid.addEventListener('pointerup', () => setTimeout(() => (pointing = false)), { capture: true });
grid.addEventListener('focus', () => {
  if (!pointing && active < 0 && rows.length > 0) setActive(0);
});

let filterTimer: ReturnType<typeof setTimeout> | undefined;
/**
 * Filter texts sent so far, each sent with its number: the host's answers say which text they
 * are about, and an error about a text since replaced (typed, then cleared before the answer
 * came) is not shown under the new one.
 */
let sentFilters = 0;
const sendFilter = (): void => {
  clearTimeout(filterTimer);
  postToHost<FromRunsView>({ type: 'filter', text: filterInput.value, seq: ++sentFilters });
};
filterInput.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(sendFilter, 300);
});
filterInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') sendFilter();
});

compareButton.addEventListener('click', () => {
  const keys = rows.filter((r) => selected.has(r.key)).map((r) => r.key);
  if (keys.length > 0) postToHost<FromRunsView>({ type: 'compare', keys: keys.slice(0, 50) });
});

function renderChoices(): void {
  if (!data) return;
  const shown = new Set(chosen().map((c) => `${c.kind}:${c.key}`));
  const find = columnSearch.value.trim().toLowerCase();
  const boxes = (kind: 'metric' | 'param', choices: Data['metrics']): HTMLElement[] =>
    choices
      .filter((c) => !find || c.key.toLowerCase().includes(find))
      .slice(0, 500)
      .map((c) => {
        const box = element('input', { attrs: { type: 'checkbox', value: c.key, ...(shown.has(`${kind}:${c.key}`) ? { checked: '' } : {}) } });
        box.addEventListener('change', () => {
          const next = chosen().filter((x) => !(x.kind === kind && x.key === c.key));
          if (box.checked) next.push({ kind, key: c.key });
          postToHost<FromRunsView>({ type: 'columns', columns: next });
        });
        return element('label', { className: 'choice' }, [box, document.createTextNode(` ${c.key}`), element('span', { className: 'muted', text: ` ${c.count}` })]);
      });
  metricChoices.replaceChildren(element('legend', { text: 'Metrics (last value)' }), ...boxes('metric', data.metrics));
  paramChoices.replaceChildren(element('legend', { text: 'Params' }), ...boxes('param', data.params));
}
columnSearch.addEventListener('input', renderChoices);

function showFilterError(error: string | null): void {
  filterError.textContent = error ?? '';
  filterError.toggleAttribute('hidden', error === null);
  filterInput.setAttribute('aria-invalid', String(error !== null));
}

onHostMessage<ToRunsView>((message) => {
  if (message.type === 'filterError') {
    if (message.seq === sentFilters) showFilterError(message.error);
    return;
  }
  const activeKey = rows[active]?.key;
  // A sort on a chosen column follows that column when the columns change (defaults chosen again, a pick).
  const sorted = typeof sort?.column === 'number' ? chosen()[sort.column] : undefined;
  data = message;
  if (typeof sort?.column === 'number') {
    const at = sorted ? message.columns.findIndex((c) => c.kind === sorted.kind && c.key === sorted.key) : -1;
    sort = at < 0 ? undefined : { column: at, descending: sort.descending };
  }
  // The filter may have been set in the tree: follow it unless the person is typing here.
  if (document.activeElement !== filterInput) filterInput.value = message.filter;
  // Until the host has heard the last text sent, the error (or none) it sends is about an older one.
  if (message.filterSeq >= sentFilters) showFilterError(message.filterError);
  notes.textContent = message.notes.join('; ');
  notes.toggleAttribute('hidden', message.notes.length === 0);
  count.textContent = message.filter ? `${message.rows.length} of ${message.total} runs` : `${message.total} runs`;
  rows = sortRows(message.rows, sort);
  active = activeKey ? rows.findIndex((r) => r.key === activeKey) : -1;
  empty.textContent = message.total === 0 ? 'No runs found in this workspace yet.' : message.rows.length === 0 ? 'No runs match the filter.' : '';
  empty.toggleAttribute('hidden', message.rows.length > 0);
  layout();
  renderHeader();
  renderRows();
  renderChoices();
});
postToHost<FromRunsView>({ type: 'ready' });
