// What a key does in the Dataset grid, apart from the DOM (unit-tested: test/unit/dataGridKeys.test.ts).
// The grid is one tab stop; inside it the keys of a spreadsheet (and of Positron's Data Explorer)
// move a focused cell. Row -1 is the header row: Enter, Space or F2 there sorts by the column,
// Alt+Down or the context-menu key opens its menu (filter, target), Ctrl+Shift+Left/Right resizes it.

export type GridKeyAction =
  /** Make (row, column) the active cell; `extend` grows the row selection from its anchor. */
  | { readonly kind: 'move'; readonly row: number; readonly column: number; readonly extend: boolean }
  | { readonly kind: 'sort'; readonly additive: boolean }
  | { readonly kind: 'menu' }
  | { readonly kind: 'resize'; readonly delta: number }
  | { readonly kind: 'copy' }
  /** Select the active row (Shift+Space), to copy it whole. */
  | { readonly kind: 'selectRow' }
  | { readonly kind: 'clearSelection' };

export interface KeyPress {
  readonly key: string;
  readonly ctrl: boolean;
  readonly shift: boolean;
  readonly alt: boolean;
}

export interface GridPosition {
  /** The active row; -1 is the header row. */
  readonly row: number;
  readonly column: number;
  readonly rows: number;
  readonly columns: number;
  /** Rows a Page Up/Down moves. */
  readonly page: number;
}

/** Pixels a Ctrl+Shift+Left/Right on a header moves its edge. */
export const RESIZE_STEP = 16;

export function gridKeyAction(press: KeyPress, at: GridPosition): GridKeyAction | undefined {
  const { key, ctrl, shift, alt } = press;
  const lastRow = at.rows - 1;
  const lastColumn = Math.max(0, at.columns - 1);
  // A filter that leaves no rows sends a body cell's moves to the header (row 0 does not exist).
  const move = (row: number, column: number, extend = false): GridKeyAction => ({
    kind: 'move',
    row: lastRow < 0 ? -1 : Math.max(0, Math.min(lastRow, row)),
    column: Math.max(0, Math.min(lastColumn, column)),
    extend,
  });
  if (ctrl && !alt && key.toLowerCase() === 'c') return { kind: 'copy' };
  if (at.row < 0) return headerKey(press, at, lastColumn);
  const row = at.row;
  const vertical = shift && !ctrl;
  switch (key) {
    case 'ArrowDown':
      return ctrl ? move(lastRow, at.column) : move(row + 1, at.column, vertical);
    case 'ArrowUp':
      if (ctrl) return move(0, at.column);
      // Up from the first row goes to the header (where Enter sorts).
      if (row === 0 && !shift) return { kind: 'move', row: -1, column: at.column, extend: false };
      return move(row - 1, at.column, vertical);
    case 'ArrowRight':
      return move(row, ctrl ? lastColumn : at.column + 1);
    case 'ArrowLeft':
      return move(row, ctrl ? 0 : at.column - 1);
    case 'PageDown':
      return move(row + at.page, at.column, vertical);
    case 'PageUp':
      return move(row - at.page, at.column, vertical);
    case 'Home':
      return ctrl ? move(0, 0) : move(row, 0);
    case 'End':
      return ctrl ? move(lastRow, lastColumn) : move(row, lastColumn);
    case ' ':
      return shift ? { kind: 'selectRow' } : undefined;
    case 'Escape':
      return { kind: 'clearSelection' };
    default:
      return undefined;
  }
}

function headerKey({ key, ctrl, shift, alt }: KeyPress, at: GridPosition, lastColumn: number): GridKeyAction | undefined {
  const to = (column: number): GridKeyAction => ({ kind: 'move', row: -1, column: Math.max(0, Math.min(lastColumn, column)), extend: false });
  if (ctrl && shift && (key === 'ArrowLeft' || key === 'ArrowRight')) return { kind: 'resize', delta: key === 'ArrowLeft' ? -RESIZE_STEP : RESIZE_STEP };
  if ((alt && key === 'ArrowDown') || key === 'ContextMenu' || (shift && key === 'F10')) return { kind: 'menu' };
  switch (key) {
    case 'Enter':
    case ' ':
    case 'F2':
      return { kind: 'sort', additive: shift };
    case 'ArrowDown':
    case 'PageDown':
      return at.rows > 0 ? { kind: 'move', row: ctrl ? at.rows - 1 : 0, column: at.column, extend: false } : undefined;
    case 'ArrowRight':
      return to(ctrl ? lastColumn : at.column + 1);
    case 'ArrowLeft':
      return to(ctrl ? 0 : at.column - 1);
    case 'Home':
      return ctrl && at.rows > 0 ? { kind: 'move', row: 0, column: 0, extend: false } : to(0);
    case 'End':
      return ctrl && at.rows > 0 ? { kind: 'move', row: at.rows - 1, column: lastColumn, extend: false } : to(lastColumn);
    default:
      return undefined;
  }
}
