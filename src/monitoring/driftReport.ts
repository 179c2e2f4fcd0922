import type { ColumnDrift } from './columnDrift';
import type { DriftResult } from './driftScan';
import { choiceNote, isPValue, TEST_NAMES } from './driftTests';

// A drift result in words: one line, a Markdown report (the export, the CLI, the agent's tool), and
// JSON (the export, `--json`). Histograms are 20 bins or the 20 most frequent categories a side:
// a report is a few kilobytes however large the data.

export function formatStat(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(2);
  return value.toPrecision(3);
}

function rule(c: ColumnDrift): string {
  return isPValue(c.test) ? `< ${c.threshold}` : `≥ ${c.threshold}`;
}

export function driftLine(r: DriftResult): string {
  const drifted = r.columns.filter((c) => c.drifted).length;
  return `${r.datasetDrift ? 'Dataset drift' : 'No dataset drift'}: ${drifted} of ${r.columns.length} columns drifted (${(100 * r.driftedShare).toFixed(0)}%; the dataset drifts at ${(100 * r.driftShare).toFixed(0)}%)` +
    (drifted ? `: ${r.columns.filter((c) => c.drifted).slice(0, 5).map((c) => c.column).join(', ')}${drifted > 5 ? ', …' : ''}` : '');
}

/** Eight-level bars for a histogram in text (▁▂▃▄▅▆▇█), each side scaled to its own total. */
export function sparkline(counts: readonly number[]): string {
  const total = counts.reduce((s, v) => s + v, 0) || 1;
  const shares = counts.map((c) => c / total);
  const max = Math.max(...shares, 1e-12);
  return shares.map((s) => (s === 0 ? ' ' : '▁▂▃▄▅▆▇█'[Math.min(7, Math.floor((s / max) * 7.999))]!)).join('');
}

/** How many rows of load tests a request log lost (the load tester marks its requests: requestLogText.ts). */
/** A rotated request log read with its old files: how many (the rows are the current side's). */
export function filesNote(r: DriftResult): string {
  return r.currentFiles ? ` (the request log and its ${r.currentFiles - 1} rotated ${r.currentFiles === 2 ? 'file' : 'files'}: ${r.currentFiles} files)` : '';
}

/** The result's notes (a statistic replaced, a log that kept rotating), as sentences after the sizes. */
export function notesText(r: DriftResult): string {
  return r.notes?.length ? ` ${r.notes.join(' ')}` : '';
}

export function loadTestNote(r: DriftResult): string {
  const t = r.loadTestRows;
  if (!t || t.reference + t.current === 0) return '';
  const sides = [t.reference ? `${t.reference} of the reference` : '', t.current ? `${t.current} of the current data` : ''].filter(Boolean).join(' and ');
  return ` Load-test rows left out: ${sides} (requests the load tester sent, not traffic).`;
}

export function driftMarkdown(r: DriftResult): string {
  const lines = [
    `# Drift: ${r.current} against ${r.reference}`,
    '',
    `${driftLine(r)}.`,
    '',
    `Reference ${r.referenceRows} rows, current ${r.currentRows} rows${filesNote(r)}.${loadTestNote(r)}${notesText(r)}`,
    '',
    '| column | drift | statistic | value | threshold | reference | current |',
    '| --- | --- | --- | ---: | ---: | --- | --- |',
    ...r.columns.map((c) => `| ${c.column.replaceAll('|', '\\|')} | ${c.drifted ? '**yes**' : 'no'} | ${TEST_NAMES[c.test]} | ${formatStat(c.value)} | ${rule(c)} | \`${sparkline(c.histogram.reference)}\` | \`${sparkline(c.histogram.current)}\` |`),
    '',
  ];
  if (r.skipped.length) lines.push('Not compared: ' + r.skipped.map((s) => `${s.column} (${s.reason})`).join('; ') + '.', '');
  lines.push(
    `${choiceNote(r.options)} ` +
      'Nulls and NaN are left out; histograms are 20 equal-width bins over both sides, or the most frequent categories.',
    '',
  );
  return lines.join('\n');
}

export function driftJson(r: DriftResult): string {
  return JSON.stringify(r, null, 2);
}
