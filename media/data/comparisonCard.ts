import type { DatasetComparison } from '../../src/data/protocol';
import { element } from '../common/dom';
import { cellDisplay } from './format';

// What "Compare with…" found (src/data/engine/compareFiles.ts): schema differences, the rows whose
// key (the shared columns less identifiers and the target) is in both files, and with a target the
// same features under another label. Built with DOM calls only: no value from a file becomes markup.

const n = (value: number): string => value.toLocaleString('en-US');
const share = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(part === whole || part === 0 ? 0 : 1)}%` : '0%');

function examples(title: string, header: readonly string[], rows: DatasetComparison['sample']): HTMLElement[] {
  if (rows.length === 0) return [];
  return [
    element('h4', { text: title }),
    element('table', { className: 'examples' }, [
      element('thead', {}, [element('tr', {}, header.map((name) => element('th', { text: name })))]),
      element('tbody', {}, rows.map((row) => element('tr', {}, row.map((v) => element('td', { text: cellDisplay(v) }))))),
    ]),
  ];
}

/** The card; `recompare` asks again with these key columns (the file compared last). */
export function comparisonCard(c: DatasetComparison, recompare: (keyColumns: readonly string[]) => void): HTMLElement {
  const list = (title: string, items: readonly string[]): HTMLElement[] =>
    items.length === 0 ? [] : [element('h4', { text: title }), element('ul', {}, items.map((text) => element('li', { text })))];
  const leak = c.sharedDistinctRows > 0;
  const over = `over ${c.comparedColumns.length} shared column${c.comparedColumns.length === 1 ? '' : 's'}`;
  const ids = c.leftOut.filter((l) => l.reason === 'identifier').map((l) => l.column);
  const target = c.leftOut.find((l) => l.reason === 'target')?.column;
  const chosen = c.leftOut.filter((l) => l.reason === 'chosen').map((l) => l.column);
  const keyWords = [
    ...(ids.length ? [`${ids.join(', ')} left out of the row key: unique on every row of both files (identifiers).`] : []),
    ...(target ? [`${target} left out: the target.`] : []),
    ...(chosen.length ? [`${chosen.join(', ')} left out: not among the key columns chosen.`] : []),
  ];
  // Every shared column but the target: the comparison as it was before identifiers were left out.
  const all = [...c.comparedColumns, ...c.leftOut.filter((l) => l.reason !== 'target').map((l) => l.column)];
  const again = ids.length || chosen.length ? [element('button', { className: 'secondary recompare', text: 'Compare on every shared column', attrs: { title: 'Compare again with the same file, identifiers in the row key' } })] : [];
  again[0]?.addEventListener('click', () => recompare(all));
  const labels = c.labels;
  return element('section', { className: 'card comparison', attrs: { 'aria-label': `Comparison with ${c.second}` } }, [
    element('header', {}, [element('h3', { text: `Compared with ${c.second}` })]),
    element('p', { text: `${n(c.firstRows)} rows here, ${n(c.secondRows)} there.` }),
    ...list('Columns only here', c.onlyInFirst.map((col) => `${col.name} (${col.type})`)),
    ...list('Columns only there', c.onlyInSecond.map((col) => `${col.name} (${col.type})`)),
    ...list('Types that differ', c.typeChanges.map((t) => `${t.column}: ${t.firstType} here, ${t.secondType} there`)),
    ...(c.onlyInFirst.length + c.onlyInSecond.length + c.typeChanges.length === 0 ? [element('p', { className: 'muted', text: 'Same columns, same types.' })] : []),
    ...keyWords.map((text) => element('p', { className: 'muted key', text })),
    ...again,
    element('p', {
      className: leak ? 'error leak' : 'muted',
      text: leak
        ? `${n(c.sharedDistinctRows)} distinct row${c.sharedDistinctRows === 1 ? ' is' : 's are'} in both files (${n(c.firstRowsShared)} rows here, ${n(c.secondRowsShared)} there: ${share(c.secondRowsShared, c.secondRows)} of ${c.second}, ${over}): leakage between the splits.`
        : `No row is in both files (${over}).`,
    }),
    ...(labels && labels.conflictingDistinctRows > 0
      ? [element('p', { className: 'error conflicts', text: `${n(labels.conflictingDistinctRows)} of them carry another ${labels.target} in each file (${n(labels.firstRowsConflicting)} rows here, ${n(labels.secondRowsConflicting)} there): conflicting labels.` })]
      : labels && leak
        ? [element('p', { className: 'muted conflicts', text: `Each carries the same ${labels.target} in both files.` })]
        : []),
    ...(c.notes ?? []).map((text) => element('p', { className: 'muted note', text })),
    ...examples('Rows in both', c.comparedColumns, c.sample),
    ...(labels ? examples(`Conflicting labels (${labels.target})`, [...c.comparedColumns, 'here', 'there'], labels.sample) : []),
  ]);
}
