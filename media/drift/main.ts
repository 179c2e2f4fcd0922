import type { BinsChart, CategoriesChart, DriftRowView, DriftView, ExportFormat, FromDriftView, ToDriftView } from '../../src/monitoring/protocol';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

// The drift report: the verdict and the share of drifted columns, then one row per column (drifted
// first) with its statistic, threshold, p-value and an SVG of both sides' histograms on the same
// bins (numbers, overlaid) or the same categories (grouped bars). Colours are the theme's (CSS
// classes in drift.css: an SVG attribute cannot read a CSS variable); text is set as text only.
// Export writes nothing itself: the host asks where, in a save dialog.

const SVG = 'http://www.w3.org/2000/svg';
const root = document.getElementById('root')!;
const status = element('p', { className: 'status muted', attrs: { role: 'status', 'aria-live': 'polite' } });

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, children: readonly Node[] = []): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

function tip(text: string): SVGTitleElement {
  const title = svg('title', {});
  title.textContent = text;
  return title;
}

function label(x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end', className = 'axis'): SVGTextElement {
  const node = svg('text', { x, y, 'text-anchor': anchor, class: className });
  node.textContent = text;
  return node;
}

const pct = (share: number): string => `${(100 * share).toFixed(share > 0 && share < 0.001 ? 2 : 1)}%`;
const num = (x: number): string => String(Number(x.toPrecision(4)));

const W = 320;

/** Numbers: both sides' shares per shared bin, overlaid; the edges under the axis. */
function binsSvg(column: string, chart: BinsChart): SVGSVGElement {
  const H = 110;
  const top = 6;
  const bottom = 92;
  const n = chart.reference.length;
  const max = Math.max(...chart.reference, ...chart.current, 1e-12);
  const width = W / Math.max(n, 1);
  const bars: SVGElement[] = [];
  for (let i = 0; i < n; i++) {
    const range = `${num(chart.edges[i]!)} – ${num(chart.edges[i + 1]!)}`;
    for (const side of ['reference', 'current'] as const) {
      const share = chart[side][i]!;
      const h = ((bottom - top) * share) / max;
      const count = (side === 'reference' ? chart.referenceCounts : chart.currentCounts)[i]!;
      bars.push(svg('rect', { x: i * width + 0.5, y: bottom - h, width: Math.max(width - 1, 0.5), height: h, class: side }, [tip(`${range}: ${side} ${pct(share)} (${count})`)]));
    }
  }
  const lo = chart.edges[0] ?? 0;
  const hi = chart.edges.at(-1) ?? lo;
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${column}: reference and current on ${n} shared bins from ${num(lo)} to ${num(hi)}`, class: 'histogram bins' }, [
    svg('line', { x1: 0, x2: W, y1: bottom, y2: bottom, class: 'baseline' }),
    ...bars,
    // A constant column is one bin of zero width: its one value, once.
    ...(hi > lo ? [label(0, H - 4, num(lo), 'start'), label(W, H - 4, num(hi), 'end')] : [label(W / 2, H - 4, num(lo), 'middle')]),
    ...(n > 2 ? [label(W / 2, H - 4, num((lo + hi) / 2), 'middle')] : []),
  ]);
}

/** Categories: a pair of bars each (reference above current); one-sided ones marked "new" or "gone". */
function categoriesSvg(column: string, chart: CategoriesChart): SVGSVGElement {
  const rows = chart.other ? [...chart.bars, chart.other] : chart.bars;
  const step = 18;
  const x0 = 110;
  const span = W - x0 - 34;
  const max = Math.max(...rows.flatMap((b) => [b.reference, b.current]), 1e-12);
  const parts: SVGElement[] = [];
  rows.forEach((b, i) => {
    const y = i * step + 2;
    const name = b.label.length > 18 ? `${b.label.slice(0, 17)}…` : b.label;
    parts.push(label(x0 - 6, y + 10, name, 'end', b === chart.other ? 'axis other' : 'axis'));
    for (const [k, side] of (['reference', 'current'] as const).entries()) {
      const share = b[side];
      const count = side === 'reference' ? b.referenceCount : b.currentCount;
      parts.push(svg('rect', { x: x0, y: y + k * 7, width: Math.max((span * share) / max, share > 0 ? 1 : 0), height: 6, class: side }, [tip(`${b.label}: ${side} ${pct(share)} (${count})`)]));
    }
    if (b.only) parts.push(label(x0 + (span * Math.max(b.reference, b.current)) / max + 4, y + 10, b.only === 'current' ? 'new' : 'gone', 'start', `only ${b.only}`));
  });
  const H = rows.length * step + 4;
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${column}: reference and current shares of ${rows.length} categories`, class: 'histogram categories' }, parts);
}

function fact(name: string, value: string): HTMLElement {
  // The colon is text, not CSS content: screen readers and copied text get it too.
  return element('div', { className: 'fact' }, [element('dt', { text: `${name}: ` }), element('dd', { text: value })]);
}

function rowElement(r: DriftRowView, i: number): HTMLElement {
  const id = `col-${i}`;
  const chart = r.chart.kind === 'bins' ? binsSvg(r.column, r.chart) : categoriesSvg(r.column, r.chart);
  return element('section', { className: `column${r.drifted ? ' drifted' : ''}`, attrs: { tabindex: '0', 'aria-labelledby': id } }, [
    element('h2', { attrs: { id } }, [element('span', { className: 'name', text: r.column }), element('span', { className: `badge${r.drifted ? ' drifted' : ''}`, text: r.drifted ? 'drifted' : 'no drift' })]),
    element('dl', { className: 'facts' }, [
      fact('statistic', r.statistic),
      fact('value', r.value),
      fact('drift at', r.threshold),
      ...(r.pValue !== undefined ? [fact('p-value', r.pValue)] : []),
      fact('values', r.counts),
    ]),
    chart,
  ]);
}

function exportButton(text: string, format: ExportFormat): HTMLButtonElement {
  const button = element('button', { text, className: 'secondary', attrs: { type: 'button' } });
  button.addEventListener('click', () => {
    status.textContent = '';
    postToHost<FromDriftView>({ type: 'export', format });
  });
  return button;
}

function render(view: DriftView): void {
  const share = element('div', { className: 'share', attrs: { role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(100 * view.driftedShare)), 'aria-label': 'Share of drifted columns' } }, [
    element('div', { className: `fill${view.datasetDrift ? ' drifted' : ''}`, attrs: { 'data-share': String(view.driftedShare) } }),
  ]);
  // Width through the CSSOM: the CSP allows no inline style attribute.
  (share.firstChild as HTMLElement).style.width = `${(100 * view.driftedShare).toFixed(1)}%`;
  const rows = view.rows.map(rowElement);
  root.replaceChildren(
    element('header', {}, [
      element('h1', { text: view.title }),
      element('p', { className: `verdict${view.datasetDrift ? ' drifted' : ''}`, text: view.verdict }),
      element('p', { className: 'shares', text: `${view.drifted} of ${view.compared} columns drifted (${(100 * view.driftedShare).toFixed(0)}%); the dataset drifts at ${(100 * view.driftShare).toFixed(0)}%. ${view.sizes}` }),
      share,
      element('div', { className: 'toolbar' }, [
        exportButton('Export as Markdown', 'markdown'),
        exportButton('Export as JSON', 'json'),
        element('span', { className: 'legend' }, [element('span', { className: 'swatch reference' }), element('span', { text: 'reference' }), element('span', { className: 'swatch current' }), element('span', { text: 'current' })]),
      ]),
      status,
    ]),
    element('div', { className: 'rows', attrs: { role: 'list' } }, rows),
    ...(view.skipped.length ? [element('p', { className: 'skipped muted', text: `Not compared: ${view.skipped.map((s) => `${s.column} (${s.reason})`).join('; ')}.` })] : []),
    element('p', { className: 'note muted', text: view.note }),
  );
  // Up and down move between the rows once one has the focus.
  rows.forEach((row, i) => {
    row.setAttribute('role', 'listitem');
    row.addEventListener('keydown', (event) => {
      const next = event.key === 'ArrowDown' ? rows[i + 1] : event.key === 'ArrowUp' ? rows[i - 1] : event.key === 'Home' ? rows[0] : event.key === 'End' ? rows.at(-1) : undefined;
      if (!next) return;
      event.preventDefault();
      next.focus();
    });
  });
}

onHostMessage<ToDriftView>((message) => {
  if (message.type === 'drift') render(message);
  else if (message.type === 'exported') status.textContent = message.error ? `Export failed: ${message.error}` : message.path ? `Saved ${message.path}` : '';
});
postToHost<FromDriftView>({ type: 'ready' });
