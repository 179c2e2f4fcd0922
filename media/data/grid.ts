import type { Cell, DatasetColumn, SortKey } from '../../src/data/datasetSource';
import { element } from '../common/dom';
import { cellDisplay, defaultWidth, isNumericKind } from './format';
import { gridKeyAction } from './gridKeys';
import { clampVirtualTop, columnsInView, rowsInView, scrollTopFor, spacerHeight, virtualTopFor, virtualTopShowing } from './scrollMap';

// The virtualised grid: only the rows and columns in view are in the page, whatever the file's
// size. The scrollbar spans every row (scaled past a browser's height limit, scrollMap.ts); the
// rows themselves come from the caller (a page cache), drawn as "…" until they arrive.
// One tab stop: the keys (gridKeys.ts) move an active cell, named to screen readers through
// aria-activedescendant, with aria-rowindex giving each drawn row its real number in the view.

export const ROW_HEIGHT = 22;
const MIN_WIDTH = 48;

export interface GridCallbacks {
  /** The row, or undefined while its page is on its way. */
  row(index: number): readonly Cell[] | undefined;
  /** Rows and columns in view changed (fetch pages, summarise columns). */
  inView(rows: { first: number; last: number }, columns: { first: number; last: number }): void;
  /** A header was clicked: sort by it (shift: add it to the sort keys). */
  sort(column: string, additive: boolean): void;
  /** The column's menu (filter, target, sort). */
  menu(column: DatasetColumn, anchor: HTMLElement): void;
  /** Copy rows [first, last) (all columns), or one cell. */
  copy(request: { first: number; last: number; column?: string }): void;
}

export class DataGrid {
  readonly element: HTMLElement;
  private readonly header = element('div', { className: 'head', attrs: { role: 'row', 'aria-rowindex': '1' } });
  private readonly canvas = element('div', { className: 'canvas', attrs: { role: 'rowgroup' } });
  private columns: readonly DatasetColumn[] = [];
  private widths: number[] = [];
  private sortKeys: readonly SortKey[] = [];
  private rows = 0;
  private virtualTop = 0;
  /** The scrollTop we set last: a scroll event at another position is the person dragging the scrollbar. */
  private expectedScrollTop = 0;
  private activeRow = -1;
  private activeColumn = 0;
  /** The active cell is the header of activeColumn (keys: Enter sorts, Alt+Down opens its menu). */
  private onHeader = false;
  /** Rows selected with the gutter or Shift: [anchor, activeRow]. */
  private selectionAnchor: number | undefined;
  private frame = 0;

  constructor(private readonly callbacks: GridCallbacks) {
    this.element = element('div', { className: 'grid', attrs: { role: 'grid', 'aria-label': 'Rows', tabindex: '0', 'aria-multiselectable': 'true' } }, [this.header, this.canvas]);
    this.element.addEventListener('scroll', () => this.onScroll());
    this.element.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    this.element.addEventListener('keydown', (event) => this.onKey(event));
    this.element.addEventListener('focus', () => {
      if (this.activeRow < 0 && !this.onHeader && this.rows > 0) this.setActive(this.firstInView(), this.activeColumn);
    });
    // A header button pressed keeps the focus on the grid: focus moving would not redraw anything
    // (the focus colours are CSS), but the keys must stay with the grid.
    this.header.addEventListener('mousedown', (event) => {
      if ((event.target as HTMLElement).closest('button')) event.preventDefault();
    });
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** New data (a new view or file): keeps column widths of columns with the same name. */
  setColumns(columns: readonly DatasetColumn[], sort: readonly SortKey[]): void {
    const old = new Map(this.columns.map((c, i) => [c.name, this.widths[i]!]));
    this.columns = columns;
    this.widths = columns.map((c) => old.get(c.name) ?? defaultWidth(c.kind, c.name));
    this.sortKeys = sort;
    this.drawHeader();
  }

  setRowCount(rows: number): void {
    this.rows = rows;
    this.element.setAttribute('aria-rowcount', String(rows + 1));
    this.element.setAttribute('aria-colcount', String(this.columns.length + 1));
    if (this.activeRow >= rows) this.activeRow = rows - 1;
    this.selectionAnchor = undefined;
    this.virtualTop = clampVirtualTop(this.virtualTop, rows, ROW_HEIGHT, this.viewport());
    // Focused before the rows came (the file just opened): the first cell becomes active.
    if (this.activeRow < 0 && !this.onHeader && rows > 0 && document.activeElement === this.element) this.setActive(0, this.activeColumn);
    this.schedule();
  }

  /** Scrolls so that row `index` is at the top, and makes it active. */
  jumpTo(index: number): void {
    if (this.rows === 0) {
      this.virtualTop = 0;
      return;
    }
    const row = Math.min(this.rows - 1, Math.max(0, index));
    this.virtualTop = clampVirtualTop(row * ROW_HEIGHT, this.rows, ROW_HEIGHT, this.viewport());
    this.onHeader = false;
    this.setActive(row, this.activeColumn);
  }

  /** Back to the first row (a new sort or filter); a header with the keyboard keeps it (Enter again flips the sort). */
  toTop(): void {
    this.virtualTop = 0;
    this.selectionAnchor = undefined;
    if (!this.onHeader && this.rows > 0) this.activeRow = 0;
    this.schedule();
  }

  /** Redraws now (a page arrived). */
  redraw(): void {
    this.schedule();
  }

  /** Columns [first, last) in view. */
  visibleColumns(): { first: number; last: number } {
    return columnsInView(this.widths, this.element.scrollLeft, this.element.clientWidth - this.gutterWidth());
  }

  /** The active cell; row -1 while it is a header. */
  get active(): { row: number; column: number } {
    return { row: this.onHeader ? -1 : this.activeRow, column: this.activeColumn };
  }

  private viewport(): number {
    return Math.max(0, this.element.clientHeight - (this.header.offsetHeight || ROW_HEIGHT));
  }

  private gutterWidth(): number {
    return Math.max(48, String(this.rows).length * 8 + 20);
  }

  private firstInView(): number {
    return rowsInView(this.virtualTop, this.viewport(), ROW_HEIGHT, this.rows).first;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private onScroll(): void {
    const top = this.element.scrollTop;
    // Ours (wheel, keys) within rounding: keep the exact virtual position. Else a drag of the scrollbar.
    if (Math.abs(top - this.expectedScrollTop) > 1) this.virtualTop = virtualTopFor(top, this.rows, ROW_HEIGHT, this.viewport());
    this.schedule();
  }

  private onWheel(event: WheelEvent): void {
    if (event.ctrlKey || Math.abs(event.deltaY) < Math.abs(event.deltaX)) return; // zoom, or sideways: the browser's
    const lines = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * ROW_HEIGHT : event.deltaMode === WheelEvent.DOM_DELTA_PAGE ? event.deltaY * this.viewport() : event.deltaY;
    const next = clampVirtualTop(this.virtualTop + lines, this.rows, ROW_HEIGHT, this.viewport());
    if (next === this.virtualTop) return;
    event.preventDefault();
    this.virtualTop = next;
    this.schedule();
  }

  private draw(): void {
    const viewport = this.viewport();
    const gutter = this.gutterWidth();
    const total = gutter + this.widths.reduce((a, b) => a + b, 0);
    this.element.style.setProperty('--gutter', `${gutter}px`);
    this.canvas.style.height = `${Math.round(spacerHeight(this.rows, ROW_HEIGHT))}px`;
    this.canvas.style.width = `${total}px`;
    this.header.style.width = `${total}px`;
    this.virtualTop = clampVirtualTop(this.virtualTop, this.rows, ROW_HEIGHT, viewport);
    const scrollTop = scrollTopFor(this.virtualTop, this.rows, ROW_HEIGHT, viewport);
    if (Math.abs(this.element.scrollTop - scrollTop) > 1) this.element.scrollTop = scrollTop;
    this.expectedScrollTop = this.element.scrollTop;
    const rows = rowsInView(this.virtualTop, viewport, ROW_HEIGHT, this.rows);
    const columns = this.visibleColumns();
    const offsets = this.columnOffsets();
    const drawn: HTMLElement[] = [];
    const [low, high] = this.selection();
    for (let i = rows.first; i < rows.last; i++) {
      const values = this.callbacks.row(i);
      const selected = i >= low && i <= high;
      const active = i === this.activeRow && !this.onHeader;
      const row = element('div', {
        className: `row${values ? '' : ' loading'}${selected ? ' selected' : ''}${active ? ' active' : ''}`,
        attrs: { role: 'row', 'aria-rowindex': String(i + 2), 'aria-selected': String(selected), 'data-row': String(i) },
      });
      row.style.top = `${this.expectedScrollTop + i * ROW_HEIGHT - this.virtualTop}px`;
      row.style.width = `${total}px`;
      row.append(element('div', { className: 'gutter', text: String(i + 1), attrs: { role: 'rowheader', 'aria-colindex': '1' } }));
      for (let c = columns.first; c < columns.last; c++) {
        const column = this.columns[c]!;
        const value = values ? (values[c] ?? null) : undefined;
        const text = value === undefined ? '…' : cellDisplay(value, column.kind);
        const cell = element('div', {
          className: `cell${isNumericKind(column.kind) ? ' num' : ''}${value === null ? ' null' : ''}${active && c === this.activeColumn ? ' focus' : ''}`,
          text,
          attrs: { role: 'gridcell', 'aria-colindex': String(c + 2), 'data-column': column.name, id: active && c === this.activeColumn ? 'active-cell' : `c${i}-${c}` },
        });
        if (text.length > 12) cell.title = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
        cell.style.left = `${gutter + offsets[c]!}px`;
        cell.style.width = `${this.widths[c]!}px`;
        row.append(cell);
      }
      drawn.push(row);
    }
    this.canvas.replaceChildren(...drawn);
    this.drawHeaderCells(columns, offsets, gutter);
    const focused = this.onHeader ? this.activeColumn >= columns.first && this.activeColumn < columns.last : this.activeRow >= rows.first && this.activeRow < rows.last;
    if (focused) this.element.setAttribute('aria-activedescendant', this.onHeader ? 'active-header' : 'active-cell');
    else this.element.removeAttribute('aria-activedescendant');
    this.callbacks.inView(rows, columns);
  }

  private columnOffsets(): number[] {
    const offsets: number[] = [];
    let x = 0;
    for (const w of this.widths) {
      offsets.push(x);
      x += w;
    }
    return offsets;
  }

  private drawHeader(): void {
    this.schedule();
  }

  private drawHeaderCells(columns: { first: number; last: number }, offsets: readonly number[], gutter: number): void {
    const cells: HTMLElement[] = [element('div', { className: 'gutter corner', text: '#', attrs: { role: 'columnheader', 'aria-colindex': '1', title: 'Row number in this view' } })];
    for (let c = columns.first; c < columns.last; c++) {
      const column = this.columns[c]!;
      const sortIndex = this.sortKeys.findIndex((k) => k.column === column.name);
      const key = this.sortKeys[sortIndex];
      const arrow = key ? `${key.descending ? '▼' : '▲'}${this.sortKeys.length > 1 ? sortIndex + 1 : ''}` : '';
      // Buttons for the pointer; the keyboard reaches them from the grid (tabindex -1: one tab stop).
      const name = element('button', { className: 'name', text: column.name, attrs: { tabindex: '-1', title: `${column.name} (${column.type}). Click or Enter to sort, Shift to add to the sort.`, 'data-column': column.name } });
      name.addEventListener('click', (event) => {
        this.headerActive(c);
        this.callbacks.sort(column.name, event.shiftKey);
      });
      const menu = element('button', { className: 'menu', text: '⋯', attrs: { tabindex: '-1', title: `Filter, sort or use ${column.name} as the target (Alt+Down)`, 'aria-label': `${column.name} menu`, 'aria-haspopup': 'menu' } });
      menu.addEventListener('click', () => {
        this.headerActive(c);
        this.callbacks.menu(column, menu);
      });
      const resize = element('div', { className: 'resize', attrs: { role: 'separator', 'aria-orientation': 'vertical', 'aria-label': `Resize ${column.name}`, title: 'Drag to resize; double-click for the default width' } });
      this.resizable(resize, c);
      const cell = element(
        'div',
        {
          className: `colhead${isNumericKind(column.kind) ? ' num' : ''}${this.onHeader && c === this.activeColumn ? ' focus' : ''}`,
          attrs: {
            role: 'columnheader',
            'aria-colindex': String(c + 2),
            'aria-sort': key ? (key.descending ? 'descending' : 'ascending') : 'none',
            'aria-label': `${column.name}, ${column.type}`,
            'data-column': column.name,
            ...(this.onHeader && c === this.activeColumn ? { id: 'active-header' } : {}),
          },
        },
        [element('div', { className: 'title' }, [name, element('span', { className: 'arrow', text: arrow }), menu]), element('div', { className: 'type', text: column.type }), resize],
      );
      cell.style.left = `${gutter + offsets[c]!}px`;
      cell.style.width = `${this.widths[c]!}px`;
      cells.push(cell);
    }
    this.header.replaceChildren(...cells);
  }

  private resizable(handle: HTMLElement, index: number): void {
    handle.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      event.stopPropagation();
      const startX = event.clientX;
      const start = this.widths[index]!;
      handle.setPointerCapture(event.pointerId);
      const move = (e: PointerEvent): void => {
        this.widths[index] = Math.max(MIN_WIDTH, Math.round(start + e.clientX - startX));
        this.schedule();
      };
      const up = (): void => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
    });
    handle.addEventListener('dblclick', () => {
      const column = this.columns[index]!;
      this.widths[index] = defaultWidth(column.kind, column.name);
      this.schedule();
    });
  }

  private selection(): [number, number] {
    if (this.selectionAnchor === undefined || this.activeRow < 0) return [-1, -2];
    return [Math.min(this.selectionAnchor, this.activeRow), Math.max(this.selectionAnchor, this.activeRow)];
  }

  /** Handles clicks on cells and the gutter (set up by the caller on the grid element). */
  click(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const row = target.closest<HTMLElement>('.row');
    if (!row) return;
    const index = Number(row.dataset.row);
    this.onHeader = false;
    if (target.classList.contains('gutter')) {
      if (!event.shiftKey || this.selectionAnchor === undefined) this.selectionAnchor = index;
      this.setActive(index, this.activeColumn);
      return;
    }
    const name = target.closest<HTMLElement>('.cell')?.dataset.column;
    const column = this.columns.findIndex((c) => c.name === name);
    if (event.shiftKey && this.activeRow >= 0) this.selectionAnchor ??= this.activeRow;
    else this.selectionAnchor = undefined;
    this.setActive(index, column >= 0 ? column : this.activeColumn);
  }

  private setActive(row: number, column: number): void {
    if (this.rows === 0) return;
    this.activeRow = Math.min(this.rows - 1, Math.max(0, row));
    this.activeColumn = Math.min(Math.max(0, this.columns.length - 1), Math.max(0, column));
    // The header is always in view (sticky); a row is scrolled to.
    if (!this.onHeader) this.virtualTop = virtualTopShowing(this.activeRow, this.virtualTop, this.viewport(), ROW_HEIGHT);
    // The column whole in view too.
    const offsets = this.columnOffsets();
    const left = offsets[this.activeColumn] ?? 0;
    const right = left + (this.widths[this.activeColumn] ?? 0);
    const width = this.element.clientWidth - this.gutterWidth();
    if (left < this.element.scrollLeft) this.element.scrollLeft = left;
    else if (right > this.element.scrollLeft + width) this.element.scrollLeft = Math.min(left, right - width);
    this.schedule();
  }

  /** A header's button was used with the pointer: the keyboard goes on from that header. */
  private headerActive(column: number): void {
    this.onHeader = true;
    this.activeColumn = column;
    this.element.focus({ preventScroll: true });
    this.schedule();
  }

  private onKey(event: KeyboardEvent): void {
    if (event.target !== this.element || this.rows === 0) return;
    const action = gridKeyAction(
      { key: event.key, ctrl: event.ctrlKey || event.metaKey, shift: event.shiftKey, alt: event.altKey },
      { row: this.onHeader ? -1 : Math.max(0, this.activeRow), column: this.activeColumn, rows: this.rows, columns: this.columns.length, page: Math.max(1, Math.floor(this.viewport() / ROW_HEIGHT) - 1) },
    );
    if (!action) return;
    event.preventDefault();
    const column = this.columns[this.activeColumn];
    switch (action.kind) {
      case 'copy': {
        if (this.onHeader) return;
        const [low, high] = this.selection();
        if (high >= low) this.callbacks.copy({ first: low, last: high + 1 });
        else if (this.activeRow >= 0) this.callbacks.copy({ first: this.activeRow, last: this.activeRow + 1, column: column?.name ?? '' });
        return;
      }
      case 'sort':
        if (column) this.callbacks.sort(column.name, action.additive);
        return;
      case 'menu': {
        // Its ⋯ button once drawn; a key pressed before the next frame anchors the menu to the header.
        const anchor = this.header.querySelector<HTMLElement>(`.colhead[data-column="${CSS.escape(column?.name ?? '')}"] .menu`) ?? this.header;
        if (column) this.callbacks.menu(column, anchor);
        return;
      }
      case 'resize':
        this.widths[this.activeColumn] = Math.max(MIN_WIDTH, (this.widths[this.activeColumn] ?? 0) + action.delta);
        this.schedule();
        return;
      case 'selectRow':
        this.selectionAnchor = this.activeRow;
        this.schedule();
        return;
      case 'clearSelection':
        this.selectionAnchor = undefined;
        this.schedule();
        return;
      case 'move':
        if (action.extend) this.selectionAnchor ??= Math.max(0, this.activeRow);
        else this.selectionAnchor = undefined;
        if (action.row < 0) {
          this.onHeader = true;
          this.setActive(Math.max(0, this.activeRow), action.column);
        } else {
          this.onHeader = false;
          this.setActive(action.row, action.column);
        }
    }
  }
}
