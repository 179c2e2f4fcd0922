// The model graph view: an ONNX model's nodes grouped by name scope, collapsed; a click opens a
// scope. Only what is visible is laid out, by the extension's models worker (dagre, one layout
// per open scope, kept there), and drawn here as SVG. Details of a node, a tensor (its producer
// and consumers) or a weight (its statistics, read on request) show in the side panel. All text
// goes in through textContent: names in a model file are data.
import type { GraphTensor, ModelGraph, TensorStatistics } from '../../src/models/graph/graphData';
import { boxTitle, boxTitleSize, itemSize, itemText, proxyLabel, proxySize, stubText, tensorType } from '../../src/models/graph/graphLabels';
import { ancestors, buildScopes, type ScopeTree } from '../../src/models/graph/graphScopes';
import { searchNodes, searchTensors } from '../../src/models/graph/graphSearch';
import { BOX_HEADER, placeUnits, planUnits, type Placed, type Proxy, type Unit } from '../../src/models/graph/layoutPlan';
import type { FromGraphView, ToGraphView } from '../../src/models/graph/protocol';
import { constantNodes, shownItem, tensorLinks, visibleGraph, type TensorLinks, type VisibleEdge, type VisibleGraph } from '../../src/models/graph/visibleGraph';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

const SVG = 'http://www.w3.org/2000/svg';
const svgEl = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};
const send = (message: FromGraphView): void => postToHost<FromGraphView>(message);

interface State {
  graph: ModelGraph;
  tree: ScopeTree;
  links: TensorLinks;
  expanded: Set<number>;
  selected?: string;
  view?: VisibleGraph;
  placed?: Placed;
  proxies: Map<string, Proxy>;
  stubsAt: Map<string, VisibleEdge[]>;
}

const root = document.getElementById('root')!;
const header = element('header', { className: 'bar' });
const title = element('span', { className: 'title' });
const status = element('span', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const search = element('input', { attrs: { type: 'search', placeholder: 'Search: name, operator (op:Conv), scope (scope:layers.0)', 'aria-label': 'Search nodes' } });
const fitButton = element('button', { text: 'Fit', attrs: { title: 'Fit the graph to the view (0)' } });
const summaryButton = element('button', { text: 'Summary', attrs: { title: "Open the model's summary" } });
header.append(title, search, fitButton, summaryButton, status);
const svg = svgEl('svg', { 'aria-label': 'Model graph', role: 'group', tabindex: 0, class: 'canvas' });
const defs = svgEl('defs');
const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
marker.append(svgEl('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
defs.append(marker);
const viewport = svgEl('g');
svg.append(defs, viewport);
const side = element('aside', { className: 'side', attrs: { 'aria-label': 'Details' } });
const main = element('main', { className: 'main' }, [svg, side]);
root.append(header, main);

let state: State | undefined;
let layoutRequest = 0;
let firstPaint: number | undefined;
const started = performance.now();
let readMs = 0;

// Pan and zoom: the viewport's transform, changed by dragging, the wheel and the keyboard.
let pan = { x: 20, y: 20, k: 1 };
const applyPan = (): void => viewport.setAttribute('transform', `translate(${pan.x},${pan.y}) scale(${pan.k})`);
function zoom(factor: number, cx = svg.clientWidth / 2, cy = svg.clientHeight / 2): void {
  const k = Math.min(4, Math.max(0.05, pan.k * factor));
  pan = { x: cx - ((cx - pan.x) * k) / pan.k, y: cy - ((cy - pan.y) * k) / pan.k, k };
  applyPan();
}
function fit(): void {
  if (!state?.placed) return;
  const { width, height } = state.placed;
  const k = Math.min(1.5, Math.max(0.05, Math.min((svg.clientWidth - 40) / Math.max(width, 1), (svg.clientHeight - 40) / Math.max(height, 1))));
  pan = { x: (svg.clientWidth - width * k) / 2, y: 20, k };
  applyPan();
}
function centerOn(id: string): void {
  const rect = state?.placed?.rects.get(id);
  if (!rect) return;
  pan = { ...pan, x: svg.clientWidth / 2 - (rect.x + rect.width / 2) * pan.k, y: svg.clientHeight / 3 - (rect.y + rect.height / 2) * pan.k };
  applyPan();
}
let drag: { x: number; y: number; px: number; py: number } | undefined;
svg.addEventListener('pointerdown', (e) => {
  if ((e.target as Element).closest('.item, .box-title')) return;
  drag = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y };
  svg.setPointerCapture(e.pointerId);
});
svg.addEventListener('pointermove', (e) => {
  if (!drag) return;
  pan = { ...pan, x: drag.px + e.clientX - drag.x, y: drag.py + e.clientY - drag.y };
  applyPan();
});
svg.addEventListener('pointerup', () => (drag = undefined));
svg.addEventListener('wheel', (e) => {
  e.preventDefault();
  const box = svg.getBoundingClientRect();
  zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
}, { passive: false });

// What is shown: recomputed from the tree on every expand or collapse, then laid out in the worker.
function relayout(focus?: string): void {
  if (!state) return;
  const s = state;
  const view = visibleGraph(s.graph, s.tree, s.links, s.expanded);
  const stubsAt = new Map<string, VisibleEdge[]>();
  for (const stub of view.stubs) stubsAt.set(stub.to, [...(stubsAt.get(stub.to) ?? []), stub]);
  const boxes = new Set(view.boxes.map((b) => b.id));
  const size = (id: string): { width: number; height: number } => (boxes.has(id) ? boxTitleSize(s.tree, Number(id.slice(1))) : itemSize(s.graph, s.tree, id, stubsAt.get(id)?.length ?? 0));
  const plan = planUnits(view, size, (item) => proxySize(s.graph, s.tree, item));
  const id = ++layoutRequest;
  status.textContent = 'Laying out…';
  pendingLayout = { id, view, units: plan.units, proxies: new Map(plan.proxies.map((p) => [p.id, p])), stubsAt, ...(focus ? { focus } : {}) };
  send({ type: 'layout', id, units: plan.units });
}
let pendingLayout: { id: number; view: VisibleGraph; units: Unit[]; proxies: Map<string, Proxy>; stubsAt: Map<string, VisibleEdge[]>; focus?: string } | undefined;

function draw(): void {
  if (!state?.placed || !state.view) return;
  const s = state;
  const placed = state.placed;
  const view = state.view;
  viewport.replaceChildren();
  const boxLayer = svgEl('g', { class: 'boxes' });
  const edgeLayer = svgEl('g', { class: 'edges' });
  const itemLayer = svgEl('g', { class: 'items' });
  // Boxes outermost first, so inner ones draw on top.
  for (const b of view.boxes) {
    const r = placed.rects.get(b.id);
    if (!r) continue;
    const g = svgEl('g', { class: 'box', 'data-id': b.id });
    g.append(svgEl('rect', { x: r.x, y: r.y, width: r.width, height: r.height, rx: 6 }));
    const head = svgEl('g', { class: 'box-title', tabindex: 0, role: 'button', 'aria-label': `Collapse ${s.tree.scopes[b.scope]!.path}`, 'data-id': b.id });
    head.append(svgEl('rect', { x: r.x, y: r.y, width: r.width, height: BOX_HEADER - 4, rx: 6 }), svgEl('text', { x: r.x + 8, y: r.y + 16 }, boxTitle(s.tree, b.scope)));
    head.addEventListener('click', () => collapse(b.scope));
    g.append(head);
    boxLayer.append(g);
  }
  for (const e of placed.edges) {
    if (e.points.length < 2) continue;
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    edgeLayer.append(svgEl('path', { d, class: 'edge', 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
  }
  for (const [id, r] of placed.rects) {
    if (id.startsWith('s') && view.boxes.some((b) => b.id === id)) continue;
    const proxy = state.proxies.get(id);
    if (proxy) {
      const g = svgEl('g', { class: `proxy ${proxy.direction}` });
      g.append(svgEl('rect', { x: r.x, y: r.y, width: r.width, height: r.height, rx: 9 }), svgEl('text', { x: r.x + 8, y: r.y + 13 }, `${proxy.direction === 'in' ? '↓' : '↑'} ${proxyLabel(s.graph, s.tree, proxy.item)}`));
      itemLayer.append(g);
      continue;
    }
    const kind = id[0] === 'n' ? 'node' : id[0] === 's' ? 'scope' : 'io';
    const text = itemText(s.graph, s.tree, id);
    const g = svgEl('g', { class: `item ${kind}${s.selected === id ? ' selected' : ''}`, tabindex: 0, role: 'button', 'data-id': id, 'aria-label': `${kind === 'scope' ? 'Expand ' : ''}${text.title.replace(/^▸ /, '')}` });
    if (kind === 'node') g.setAttribute('data-op', s.graph.nodes[Number(id.slice(1))]!.op);
    g.append(svgEl('rect', { x: r.x, y: r.y, width: r.width, height: r.height, rx: kind === 'io' ? 12 : 4 }), svgEl('text', { x: r.x + 9, y: r.y + 16, class: 't1' }, text.title));
    if (text.subtitle) g.append(svgEl('text', { x: r.x + 9, y: r.y + 31, class: 't2' }, text.subtitle));
    const stubs = s.stubsAt.get(id);
    if (stubs) g.append(svgEl('text', { x: r.x + 9, y: r.y + r.height - 5, class: 'stub' }, stubText(s.graph, s.tree, stubs)));
    g.addEventListener('click', () => activate(id));
    itemLayer.append(g);
  }
  viewport.append(boxLayer, edgeLayer, itemLayer);
  const nodes = view.items.filter((i) => i.kind === 'node').length;
  status.textContent = `${view.items.length} items shown (${nodes} nodes) of ${s.graph.nodes.length.toLocaleString('en-US')}`;
}

function activate(id: string): void {
  if (!state) return;
  if (id[0] === 's') {
    state.expanded.add(Number(id.slice(1)));
    relayout(id);
  } else select(id);
}
function collapse(scope: number): void {
  if (!state) return;
  state.expanded.delete(scope);
  relayout(`s${scope}`);
}

/** Shows node `node`: opens the scopes around it, selects it and centres the view on it. */
function reveal(node: number): void {
  if (!state) return;
  const scope = state.tree.nodeScope[node]!;
  if (scope < 0) return void showNode(node);
  for (const s of ancestors(state.tree, scope)) state.expanded.add(s);
  state.selected = `n${node}`;
  showNode(node);
  relayout(`n${node}`);
}

function select(id: string): void {
  if (!state) return;
  state.selected = id;
  for (const el of viewport.querySelectorAll('.item.selected')) el.classList.remove('selected');
  viewport.querySelector(`.item[data-id="${id}"]`)?.classList.add('selected');
  const index = Number(id.slice(1));
  if (id[0] === 'n') showNode(index);
  else showTensor(index);
}

// The side panel: a node's operator, attributes and tensors; a tensor's producer and consumers; a weight's statistics.
const heading = (text: string): HTMLElement => element('h2', { text });
function tensorRow(t: number): HTMLTableRowElement {
  const tensor = state!.graph.tensors[t]!;
  const link = element('button', { className: 'link', text: tensor.name || '(unnamed)', attrs: { title: 'Follow this tensor: its producer and consumers' } });
  link.addEventListener('click', () => showTensor(t));
  return element('tr', {}, [element('td', {}, [link]), element('td', { text: tensorType(tensor) || '—' }), element('td', { text: tensor.kind === 'initializer' ? 'weight' : tensor.kind })]);
}
function tensorTable(label: string, tensors: readonly number[]): HTMLTableElement {
  const table = element('table', { attrs: { 'aria-label': label } }, [element('caption', { text: label })]);
  for (const t of tensors) if (t >= 0) table.append(tensorRow(t));
  return table;
}
function nodeButton(node: number): HTMLButtonElement {
  const n = state!.graph.nodes[node]!;
  const button = element('button', { className: 'link', text: `${n.op} · ${n.name || `node ${node}`}` });
  button.addEventListener('click', () => reveal(node));
  return button;
}
function showNode(node: number): void {
  const s = state!;
  const n = s.graph.nodes[node]!;
  const scope = s.tree.nodeScope[node]!;
  const rows: [string, string][] = [['Operator', `${n.domain ? `${n.domain}.` : ''}${n.op}`], ['Name', n.name || '(none)'], ['Scope', scope >= 0 ? s.tree.scopes[scope]!.path || '(graph)' : '(a constant, shown with what it feeds)']];
  if (n.subgraphNodes) rows.push(['Subgraphs', `${n.subgraphNodes} nodes`]);
  const info = element('table', { attrs: { 'aria-label': 'Node' } }, rows.map(([k, v]) => element('tr', {}, [element('th', { text: k }), element('td', { text: v })])));
  const attrs = element('table', { attrs: { 'aria-label': 'Attributes' } }, [element('caption', { text: 'Attributes' })]);
  for (const a of n.attributes ?? []) attrs.append(element('tr', {}, [element('th', { text: a.name }), element('td', { text: a.value, attrs: { title: a.type } })]));
  side.replaceChildren(heading(n.op), info, ...(n.attributes?.length ? [attrs] : []), tensorTable('Inputs', n.inputs), tensorTable('Outputs', n.outputs));
}
function showTensor(t: number): void {
  const s = state!;
  const tensor: GraphTensor = s.graph.tensors[t]!;
  const rows: [string, string][] = [['Name', tensor.name], ['Kind', tensor.kind === 'initializer' ? 'weight (initializer)' : tensor.kind], ['Type', tensorType(tensor) || 'not recorded in the file']];
  if (tensor.data) rows.push(['Size', `${tensor.data.bytes.toLocaleString('en-US')} bytes`], ['Stored', tensor.data.location !== undefined ? `${tensor.data.location} at byte ${tensor.data.offset ?? 0}` : `in the model at byte ${tensor.data.offset ?? '?'}`]);
  const parts: Node[] = [heading('Tensor'), element('table', { attrs: { 'aria-label': 'Tensor' } }, rows.map(([k, v]) => element('tr', {}, [element('th', { text: k }), element('td', { text: v })])))];
  const producer = s.links.producer[t]!;
  parts.push(element('h3', { text: 'Produced by' }), producer >= 0 ? nodeButton(producer) : element('p', { className: 'muted', text: tensor.kind === 'input' ? 'a graph input' : 'none (stored in the file)' }));
  const consumers = s.links.consumers[t]!;
  const list = element('ul', { attrs: { 'aria-label': 'Consumers' } }, consumers.slice(0, 500).map((c) => element('li', {}, [nodeButton(c)])));
  parts.push(element('h3', { text: `Consumed by ${consumers.length}` }), list);
  if (tensor.kind === 'initializer') {
    const button = element('button', { text: 'Value statistics', attrs: { title: 'Read this weight’s values from the file (sampled past 64 MB)' } });
    button.addEventListener('click', () => {
      button.disabled = true;
      statsOut.textContent = 'Reading…';
      send({ type: 'stats', tensor: tensor.name });
    });
    statsOut.replaceChildren();
    parts.push(button, statsOut);
  }
  side.replaceChildren(...parts);
}
const statsOut = element('div', { attrs: { 'aria-label': 'Statistics', role: 'status' } });
function showStats(stats: TensorStatistics): void {
  const f = (v: number): string => (Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(6))));
  const rows: [string, string][] = [['Values', `${stats.count.toLocaleString('en-US')} (${stats.read.toLocaleString('en-US')} read, ${stats.bytesRead.toLocaleString('en-US')} bytes)`], ['Min', f(stats.min)], ['Max', f(stats.max)], ['Mean', f(stats.mean)], ['Std', f(stats.std)], ['Zeros', String(stats.zeros)], ['NaN', String(stats.nan)], ['Infinite', String(stats.infinite)]];
  if (stats.sample) rows.push(['Sample', stats.sample]);
  statsOut.replaceChildren(element('table', { attrs: { 'aria-label': 'Value statistics' } }, rows.map(([k, v]) => element('tr', {}, [element('th', { text: k }), element('td', { text: v })]))));
}

// Search: nodes by name, operator or scope; tensors by name. A result opens the scopes around it.
function runSearch(): void {
  if (!state) return;
  const q = search.value;
  if (!q.trim()) return showOverview();
  const { hits, total } = searchNodes(state.graph, state.tree, q, 200);
  const list = element('ul', { attrs: { 'aria-label': 'Search results' } }, hits.map((h) => element('li', {}, [nodeButton(h.node)])));
  const tensors = /^(op|scope):/i.test(q.trim()) ? [] : searchTensors(state.graph, q, 20);
  const tensorList = element('ul', { attrs: { 'aria-label': 'Tensor results' } }, tensors.map((t) => {
    const b = element('button', { className: 'link', text: state!.graph.tensors[t]!.name });
    b.addEventListener('click', () => showTensor(t));
    return element('li', {}, [b]);
  }));
  side.replaceChildren(heading(`${total} node${total === 1 ? '' : 's'} match`), list, ...(tensors.length ? [element('h3', { text: 'Tensors' }), tensorList] : []));
}
let searchTimer: ReturnType<typeof setTimeout> | undefined;
search.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 150);
});
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    clearTimeout(searchTimer);
    runSearch();
    const first = side.querySelector<HTMLButtonElement>('ul[aria-label="Search results"] button');
    if (first && e.altKey) first.click();
  } else if (e.key === 'Escape') {
    search.value = '';
    showOverview();
    svg.focus();
  }
});

function showOverview(): void {
  if (!state) return;
  const g = state.graph;
  const hidden = g.nodes.length - state.tree.scopes[0]!.nodeCount;
  const rows: [string, string][] = [['File', g.path], ['Nodes', `${g.nodes.length.toLocaleString('en-US')}${hidden ? ` (${hidden} compute constants, shown with what they feed)` : ''}`], ['Weights', String(g.tensors.filter((t) => t.kind === 'initializer').length)], ['Opsets', g.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')]];
  const parts: Node[] = [heading(g.name || 'Graph'), element('table', { attrs: { 'aria-label': 'Graph' } }, rows.map(([k, v]) => element('tr', {}, [element('th', { text: k }), element('td', { text: v })])))];
  for (const p of g.problems) parts.push(element('p', { className: 'problem', text: p }));
  parts.push(element('p', { className: 'muted', text: 'Click a scope to open it, its title to close it. Keys: / search, Enter open or select, Backspace close the scope around the focused item, + − zoom, 0 fit.' }));
  side.replaceChildren(...parts);
}

// Keyboard: items are focusable; Enter or Space opens or selects, Backspace closes the enclosing scope.
svg.addEventListener('keydown', (e) => {
  const target = (e.target as Element).closest<SVGGElement>('.item, .box-title');
  const id = target?.getAttribute('data-id');
  if ((e.key === 'Enter' || e.key === ' ') && id) {
    e.preventDefault();
    if (target!.classList.contains('box-title')) collapse(Number(id.slice(1)));
    else activate(id);
  } else if (e.key === 'Backspace' && id && state) {
    const parent = state.view?.items.find((i) => i.id === id)?.parent ?? state.view?.boxes.find((b) => b.id === id)?.parent;
    if (parent) collapse(Number(parent.slice(1)));
  } else if (e.key === '+' || e.key === '=') zoom(1.2);
  else if (e.key === '-') zoom(1 / 1.2);
  else if (e.key === '0') fit();
});
document.addEventListener('keydown', (e) => {
  if ((e.key === '/' || (e.key === 'f' && (e.ctrlKey || e.metaKey))) && document.activeElement !== search) {
    e.preventDefault();
    search.focus();
  }
});
fitButton.addEventListener('click', fit);
summaryButton.addEventListener('click', () => send({ type: 'summary' }));

onHostMessage<ToGraphView>((message) => {
  switch (message.type) {
    case 'graph': {
      const graph = message.graph;
      readMs = message.readMs;
      const tree = buildScopes(graph, { hidden: constantNodes(graph) });
      state = { graph, tree, links: tensorLinks(graph), expanded: new Set(), proxies: new Map(), stubsAt: new Map() };
      title.textContent = graph.path;
      showOverview();
      relayout();
      return;
    }
    case 'error':
      side.replaceChildren();
      status.textContent = '';
      root.append(element('p', { className: 'problem', text: `${message.path}: ${message.message}`, attrs: { role: 'alert' } }));
      return;
    case 'layout': {
      if (!state || !pendingLayout || message.id !== pendingLayout.id) return;
      const pending = pendingLayout;
      pendingLayout = undefined;
      if (!message.layouts) {
        status.textContent = `Layout failed: ${message.error ?? 'unknown error'}`;
        return;
      }
      state.view = pending.view;
      state.proxies = pending.proxies;
      state.stubsAt = pending.stubsAt;
      state.placed = placeUnits(pending.units, message.layouts);
      draw();
      if (firstPaint === undefined) {
        firstPaint = performance.now() - started;
        fit();
        svg.setAttribute('data-first-paint-ms', String(Math.round(firstPaint)));
        send({ type: 'painted', ms: firstPaint, items: pending.view.items.length });
      } else if (pending.focus) {
        const shown = state.placed.rects.has(pending.focus) || pending.focus[0] !== 'n' ? pending.focus : (shownItem(state.tree, state.expanded, Number(pending.focus.slice(1))) ?? pending.focus);
        centerOn(shown);
        viewport.querySelector<SVGGElement>(`[data-id="${pending.focus}"]`)?.focus();
      }
      svg.setAttribute('data-read-ms', String(readMs));
      return;
    }
    case 'stats': {
      const button = side.querySelector<HTMLButtonElement>('button:disabled');
      if (button) button.disabled = false;
      if (message.stats) showStats(message.stats);
      else statsOut.textContent = message.error ?? 'No statistics';
    }
  }
});
applyPan();
status.textContent = 'Reading the graph…';
send({ type: 'ready' });
