// A dataset described in plain text for the agent and the CLI: size, schema, per-column summary,
// a few rows; cut to a character budget so a 500-column file fits the model's context.
import { formatBytes } from '../common/units';
import type { Cell, ColumnSummary, DatasetInfo, DatasetPage } from './datasetSource';

export function cellText(cell: Cell, max = 80): string {
  const text = cell === null ? 'null' : typeof cell === 'string' ? JSON.stringify(cell) : String(cell);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(6).replace(/\.?0+$/, '');
}

export function summaryLine(s: ColumnSummary): string {
  const parts = [`${s.nulls} null`, `${s.distinctApproximate ? '~' : ''}${s.distinct} distinct`];
  if (s.min !== undefined) parts.push(`min ${cellText(s.min, 40)}`, `max ${cellText(s.max ?? null, 40)}`);
  if (s.mean !== undefined) parts.push(`mean ${round(s.mean)}`);
  if (s.std !== undefined) parts.push(`std ${round(s.std)}`);
  const median = s.quantiles?.find((q) => q.p === 0.5);
  if (median) parts.push(`median ${s.quantilesApproximate ? '~' : ''}${cellText(median.value, 40)}${s.sampledValues !== undefined && s.quantilesApproximate ? ` (from a sample of ${s.sampledValues} values)` : ''}`);
  if (s.uniqueInSample !== undefined) parts.push(`no value repeats in a sample of ${s.uniqueInSample} values (${s.uniqueAs === 'long text' ? 'long text' : s.uniqueAs === 'timestamps' ? 'timestamps as text' : 'ID-like'})`);
  if (s.topValues?.length) parts.push(`top${s.topValuesApproximate ? ' (sketch, ~)' : ''} ${s.topValues.slice(0, 5).map((t) => `${cellText(t.value, 30)} (${t.count})`).join(', ')}`);
  return parts.join(', ');
}

/** Rows as tab-separated text under a header line. */
export function rowsText(columns: readonly string[], rows: DatasetPage['rows']): string {
  return [columns.join('\t'), ...rows.map((r) => r.map((c) => cellText(c)).join('\t'))].join('\n');
}

export function describeText(info: DatasetInfo, summaries: ReadonlyMap<string, ColumnSummary>, sample: DatasetPage | undefined, budgetChars: number): string {
  const head = [`${info.label}: ${info.totalRows} rows × ${info.columns.length} columns${info.fileBytes !== undefined ? `, ${formatBytes(info.fileBytes)}` : ''}`];
  for (const note of info.notes ?? []) head.push(`note: ${note}`);
  head.push('', 'columns (name: type — summary; ~ = approximate):');
  const lines: string[] = [];
  let used = head.join('\n').length;
  let shown = 0;
  for (const c of info.columns) {
    const s = summaries.get(c.name);
    const line = `- ${c.name}: ${c.type}${s ? ` — ${summaryLine(s)}` : ''}`;
    if (used + line.length + 1 > budgetChars * 0.8) break;
    lines.push(line);
    used += line.length + 1;
    shown++;
  }
  if (shown < info.columns.length) lines.push(`… ${info.columns.length - shown} more columns not shown (ask for them by name with columns=[…])`);
  let text = [...head, ...lines].join('\n');
  if (sample && sample.rows.length) {
    const rows = rowsText(info.columns.map((c) => c.name), sample.rows);
    if (text.length + rows.length + 20 <= budgetChars) text += `\n\nfirst ${sample.rows.length} rows:\n${rows}`;
  }
  return text.length > budgetChars ? `${text.slice(0, budgetChars - 1)}…` : text;
}
