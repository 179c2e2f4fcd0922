import type { Cell } from './datasetSource';

// Rows copied from the grid, as spreadsheets and editors paste them: tab-separated, one line per
// row, a field quoted (Excel's way: "" for a quote) only when it holds a tab, a line break or a quote.

export function cellText(value: Cell): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

function field(value: Cell): string {
  const text = cellText(value);
  return /[\t\r\n"]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One cell alone is copied as it is (no quoting); anything larger as TSV. */
export function rowsAsTsv(header: readonly string[] | undefined, rows: readonly (readonly Cell[])[]): string {
  if (!header && rows.length === 1 && rows[0]!.length === 1) return cellText(rows[0]![0]!);
  const lines = rows.map((row) => row.map(field).join('\t'));
  if (header) lines.unshift(header.map(field).join('\t'));
  return lines.join('\n');
}
