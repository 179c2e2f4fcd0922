import type { ColumnSummary, LabelBalance } from '../../src/data/datasetSource';
import { element } from '../common/dom';
import { cellDisplay, idLikeWords, sampledWords, statDisplay } from './format';

// The side panel: one card per column in view (its summary, computed by the engine on the whole
// view when the column comes into view) and the target column's label balance (what "Compare
// with…" found: comparisonCard.ts). Built with DOM calls only: no value from a file becomes markup.

const SVG = 'http://www.w3.org/2000/svg';

export type SummaryState = { readonly state: 'loading' } | { readonly state: 'failed'; readonly message: string } | { readonly state: 'done'; readonly summary: ColumnSummary };

/** What the distinct count is: exact, a sketch's estimate with its typical error, or HyperLogLog's. */
function distinctTitle(s: ColumnSummary): string {
  if (!s.distinctApproximate) return 'Exact';
  if (s.distinctError) return `Estimated from the values in a share of the hash space: typically within ${(s.distinctError * 100).toFixed(1)}%`;
  return 'Approximate (HyperLogLog)';
}

function pct(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (part / whole) * 100;
  return `${p < 0.1 && p > 0 ? '<0.1' : p.toFixed(p < 10 ? 1 : 0)}%`;
}

/** A histogram as bars, sized by counts: an SVG built element by element. */
export function sparkline(counts: readonly number[], label: string, countText: (count: number) => string = (count) => count.toLocaleString('en-US')): SVGSVGElement {
  const width = 160;
  const height = 32;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const max = Math.max(1, ...counts);
  const bar = width / Math.max(1, counts.length);
  counts.forEach((count, i) => {
    const h = count === 0 ? 0 : Math.max(1, (count / max) * (height - 2));
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', String(i * bar + 0.5));
    rect.setAttribute('y', String(height - h));
    rect.setAttribute('width', String(Math.max(1, bar - 1)));
    rect.setAttribute('height', String(h));
    const title = document.createElementNS(SVG, 'title');
    title.textContent = countText(count);
    rect.append(title);
    svg.append(rect);
  });
  return svg;
}

function stat(label: string, value: string, title?: string): HTMLElement[] {
  return [element('dt', { text: label }), element('dd', { text: value, ...(title ? { attrs: { title } } : {}) })];
}

export function summaryCard(column: string, type: string, state: SummaryState, retry: () => void): HTMLElement {
  const head = element('header', {}, [element('h3', { text: column, attrs: { title: column } }), element('span', { className: 'muted type', text: type })]);
  const card = element('section', { className: 'card', attrs: { 'aria-label': `Summary of ${column}`, 'data-column': column } }, [head]);
  if (state.state === 'loading') {
    card.append(element('p', { className: 'muted', text: 'Computing…' }));
    return card;
  }
  if (state.state === 'failed') {
    const again = element('button', { className: 'secondary', text: 'Retry' });
    again.addEventListener('click', retry);
    card.append(element('p', { className: 'error', text: state.message }), again);
    return card;
  }
  const s = state.summary;
  const sampled = sampledWords(s);
  const stats = element('dl', {}, [
    ...stat('Rows', s.count.toLocaleString('en-US')),
    ...stat('Nulls', `${s.nulls.toLocaleString('en-US')} (${pct(s.nulls, s.count)})`),
    ...stat('Distinct', `${s.distinctApproximate ? '≈' : ''}${s.distinct.toLocaleString('en-US')}`, distinctTitle(s)),
    ...(s.min !== undefined ? stat('Min', statDisplay(s.min)) : []),
    ...(s.max !== undefined ? stat('Max', statDisplay(s.max)) : []),
    ...(s.mean !== undefined ? stat('Mean', statDisplay(s.mean)) : []),
    ...(s.std !== undefined ? stat('Std', statDisplay(s.std)) : []),
    ...(s.quantiles ?? []).map((q) => stat(`${s.quantilesApproximate ? '≈' : ''}p${Math.round(q.p * 100)}`, statDisplay(q.value), s.quantilesApproximate ? (sampled?.quantile ?? 'Approximate quantile') : undefined)).flat(),
  ]);
  card.append(stats);
  if (s.histogram && s.histogram.counts.length > 0) {
    const edges = s.histogram.edges;
    card.append(
      element('figure', {}, [
        sparkline(
          s.histogram.counts,
          `Histogram of ${column} from ${cellDisplay(edges[0] ?? null)} to ${cellDisplay(edges[edges.length - 1] ?? null)}${sampled ? `, ${sampled.histogram}` : ''}${s.histogram.endsWidened ? ' (end bins wider: values past the sampled range)' : ''}`,
          sampled?.bar,
        ),
        element('figcaption', { className: 'muted' }, [element('span', { text: statDisplay(edges[0]) }), element('span', { text: statDisplay(edges[edges.length - 1]) })]),
      ]),
    );
    // Bin edges from a sample of a big file: values past its range widened the end bins to the exact min and max.
    if (s.histogram.endsWidened) card.append(element('p', { className: 'muted', text: '≈ End bins stretched to the min and max: values past the sampled range' }));
  }
  // A big file's quantiles and histogram are a sample's: said in words, whatever else the card shows.
  if (sampled) card.append(element('p', { className: 'muted sampled', text: sampled.note, attrs: { title: sampled.title } }));
  // A big file's text column whose sample never repeats a value: said instead of its (uncounted) top values.
  const idLike = idLikeWords(s);
  if (idLike) card.append(element('p', { className: 'muted id-like', text: idLike.note, attrs: { title: idLike.title } }));
  if (s.topValues && s.topValues.length > 0) {
    const max = Math.max(1, ...s.topValues.map((t) => t.count));
    // Past a million rows the candidates come from a sketch: counted exactly, but perhaps not the most frequent.
    if (s.topValuesApproximate) card.append(element('p', { className: 'muted', text: '≈ Frequent values from a sketch, counted exactly; others may be as frequent' }));
    card.append(
      element(
        'ol',
        { className: 'top', attrs: { 'aria-label': 'Most frequent values' } },
        s.topValues.map((t) => bar(cellDisplay(t.value), t.count, max, s.count, t.value === null)),
      ),
    );
  }
  return card;
}

function bar(label: string, count: number, max: number, whole: number, isNull: boolean): HTMLElement {
  const fill = element('span', { className: 'fill' });
  fill.style.width = `${(count / max) * 100}%`;
  return element('li', { attrs: { title: `${label}: ${count.toLocaleString('en-US')} (${pct(count, whole)})` } }, [
    element('span', { className: `label${isNull ? ' null' : ''}`, text: label }),
    element('span', { className: 'bar' }, [fill]),
    element('span', { className: 'count muted', text: `${count.toLocaleString('en-US')} · ${pct(count, whole)}` }),
  ]);
}

export function balanceCard(balance: LabelBalance): HTMLElement {
  const classes = balance.classes;
  const total = classes.reduce((a, c) => a + c.count, 0) + balance.otherCount + balance.nulls;
  const max = Math.max(1, ...classes.map((c) => c.count), balance.otherCount, balance.nulls);
  const items = classes.map((c) => bar(cellDisplay(c.value), c.count, max, total, c.value === null));
  if (balance.otherCount > 0) items.push(bar(`(${classes.length}+ other classes)`, balance.otherCount, max, total, false));
  if (balance.nulls > 0) items.push(bar('NULL', balance.nulls, max, total, true));
  const largest = classes[0]?.count ?? 0;
  const smallest = classes.length > 0 ? classes[classes.length - 1]!.count : 0;
  const ratio = smallest > 0 && balance.otherCount === 0 ? `Largest / smallest class: ${(largest / smallest).toFixed(1)}×` : '';
  return element('section', { className: 'card balance', attrs: { 'aria-label': `Label balance of ${balance.column}` } }, [
    element('header', {}, [element('h3', { text: `Target: ${balance.column}` }), element('span', { className: 'muted', text: `${classes.length} class${classes.length === 1 ? '' : 'es'}` })]),
    element('ol', { className: 'top' }, items),
    ...(ratio ? [element('p', { className: 'muted', text: ratio })] : []),
  ]);
}
