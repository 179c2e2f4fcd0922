import assert from 'node:assert/strict';
import { gridKeyAction, RESIZE_STEP, type GridPosition, type KeyPress } from '../../media/data/gridKeys';

// The Dataset grid's keys (media/data/gridKeys.ts): a spreadsheet's moves over the rows, the
// header row above them (sort, menu, resize), copy and row selection. The e2e
// (test/e2e/dataKeyboard.e2e.ts) drives the same keys in code-server.

const key = (k: string, mods: Partial<Omit<KeyPress, 'key'>> = {}): KeyPress => ({ key: k, ctrl: false, shift: false, alt: false, ...mods });
const at = (row: number, column: number): GridPosition => ({ row, column, rows: 1000, columns: 5, page: 20 });
const move = (row: number, column: number, extend = false) => ({ kind: 'move', row, column, extend });

describe('Dataset grid keys', () => {
  it('moves the active cell with arrows, pages and Home/End, clamped to the table', () => {
    assert.deepEqual(gridKeyAction(key('ArrowDown'), at(3, 2)), move(4, 2));
    assert.deepEqual(gridKeyAction(key('ArrowRight'), at(3, 4)), move(3, 4), 'the last column stays');
    assert.deepEqual(gridKeyAction(key('ArrowLeft'), at(3, 0)), move(3, 0));
    assert.deepEqual(gridKeyAction(key('PageDown'), at(990, 1)), move(999, 1));
    assert.deepEqual(gridKeyAction(key('PageUp'), at(10, 1)), move(0, 1));
    assert.deepEqual(gridKeyAction(key('Home'), at(10, 3)), move(10, 0));
    assert.deepEqual(gridKeyAction(key('End'), at(10, 1)), move(10, 4));
  });

  it('goes to the first or last row with Ctrl+Home/End and Ctrl+Up/Down, to the edge columns with Ctrl+Left/Right', () => {
    assert.deepEqual(gridKeyAction(key('End', { ctrl: true }), at(10, 1)), move(999, 4));
    assert.deepEqual(gridKeyAction(key('Home', { ctrl: true }), at(500, 3)), move(0, 0));
    assert.deepEqual(gridKeyAction(key('ArrowDown', { ctrl: true }), at(10, 2)), move(999, 2));
    assert.deepEqual(gridKeyAction(key('ArrowUp', { ctrl: true }), at(10, 2)), move(0, 2));
    assert.deepEqual(gridKeyAction(key('ArrowRight', { ctrl: true }), at(10, 0)), move(10, 4));
    assert.deepEqual(gridKeyAction(key('ArrowLeft', { ctrl: true }), at(10, 3)), move(10, 0));
  });

  it('extends the row selection with Shift, selects a row with Shift+Space, clears it with Escape', () => {
    assert.deepEqual(gridKeyAction(key('ArrowDown', { shift: true }), at(3, 0)), move(4, 0, true));
    assert.deepEqual(gridKeyAction(key('PageDown', { shift: true }), at(3, 0)), move(23, 0, true));
    assert.deepEqual(gridKeyAction(key(' ', { shift: true }), at(3, 0)), { kind: 'selectRow' });
    assert.equal(gridKeyAction(key(' '), at(3, 0)), undefined, 'Space alone is the page’s');
    assert.deepEqual(gridKeyAction(key('Escape'), at(3, 0)), { kind: 'clearSelection' });
    assert.deepEqual(gridKeyAction(key('c', { ctrl: true }), at(3, 0)), { kind: 'copy' });
    assert.deepEqual(gridKeyAction(key('C', { ctrl: true, shift: true }), at(3, 0)), { kind: 'copy' });
  });

  it('goes up from the first row to the header, where Enter, Space or F2 sorts and Shift adds', () => {
    assert.deepEqual(gridKeyAction(key('ArrowUp'), at(0, 2)), move(-1, 2));
    assert.deepEqual(gridKeyAction(key('ArrowUp', { shift: true }), at(0, 2)), move(0, 2, true), 'a selection does not reach the header');
    for (const k of ['Enter', ' ', 'F2']) assert.deepEqual(gridKeyAction(key(k), at(-1, 2)), { kind: 'sort', additive: false }, k);
    assert.deepEqual(gridKeyAction(key('Enter', { shift: true }), at(-1, 2)), { kind: 'sort', additive: true });
    assert.deepEqual(gridKeyAction(key('ArrowRight'), at(-1, 2)), move(-1, 3));
    assert.deepEqual(gridKeyAction(key('End'), at(-1, 2)), move(-1, 4));
    assert.deepEqual(gridKeyAction(key('ArrowDown'), at(-1, 2)), move(0, 2));
    assert.deepEqual(gridKeyAction(key('End', { ctrl: true }), at(-1, 2)), move(999, 4));
    assert.equal(gridKeyAction(key('ArrowUp'), at(-1, 2)), undefined);
  });

  it("opens a header's menu with Alt+Down, the context-menu key or Shift+F10, and resizes it with Ctrl+Shift+Left/Right", () => {
    assert.deepEqual(gridKeyAction(key('ArrowDown', { alt: true }), at(-1, 1)), { kind: 'menu' });
    assert.deepEqual(gridKeyAction(key('ContextMenu'), at(-1, 1)), { kind: 'menu' });
    assert.deepEqual(gridKeyAction(key('F10', { shift: true }), at(-1, 1)), { kind: 'menu' });
    assert.deepEqual(gridKeyAction(key('ArrowRight', { ctrl: true, shift: true }), at(-1, 1)), { kind: 'resize', delta: RESIZE_STEP });
    assert.deepEqual(gridKeyAction(key('ArrowLeft', { ctrl: true, shift: true }), at(-1, 1)), { kind: 'resize', delta: -RESIZE_STEP });
  });

  it('does nothing to keys it does not own, and nothing below the header of an empty view', () => {
    assert.equal(gridKeyAction(key('a'), at(3, 0)), undefined);
    assert.equal(gridKeyAction(key('Tab'), at(3, 0)), undefined, 'Tab leaves the grid');
    assert.equal(gridKeyAction(key('ArrowDown'), { row: -1, column: 0, rows: 0, columns: 3, page: 20 }), undefined);
    // A body cell whose rows a filter just removed: its moves go to the header, never to a row 0 that is not there.
    for (const k of ['ArrowDown', 'ArrowUp', 'End', 'PageDown', 'ArrowRight']) {
      const action = gridKeyAction(key(k, k === 'End' ? { ctrl: true } : {}), { row: 5, column: 1, rows: 0, columns: 3, page: 20 });
      assert.ok(action?.kind === 'move' && action.row === -1, `${k}: ${JSON.stringify(action)}`);
    }
  });
});
