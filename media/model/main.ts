import type { IoInfo, ModelInfo } from '../../src/models/modelInfo';
import { formatBytes, formatCount } from '../../src/common/units';
import { FORMAT_NAMES, totalBytes } from '../../src/models/modelInfo';
import type { FromModelView, ToModelView } from '../../src/models/protocol';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

// The model viewer page: built with DOM calls only (no innerHTML), so nothing in a model's
// names or metadata can become markup.

const root = document.getElementById('root')!;

function table(caption: string, head: string[], rows: string[][], label = caption): HTMLElement {
  return element('table', { attrs: { 'aria-label': label } }, [
    element('caption', { text: caption }),
    // A key/value table (no column names) has no header row.
    ...(head.some(Boolean) ? [element('thead', {}, [element('tr', {}, head.map((h) => element('th', { text: h })))])] : []),
    element('tbody', {}, rows.map((r) => element('tr', {}, r.map((c) => element('td', { text: c }))))),
  ]);
}

const shape = (io: IoInfo): string => `[${io.shape.join(', ')}]`;

/** The size on disk: with external data, the total and its parts (the weights are usually the larger part). */
function sizeText(info: ModelInfo): string {
  const total = totalBytes(info);
  if (total === info.fileBytes) return formatBytes(total);
  const files = info.externalDataBytes?.filter((b) => b !== null).length ?? 0;
  return `${formatBytes(total)} (${formatBytes(info.fileBytes)} model + ${formatBytes(total - info.fileBytes)} in ${files} external data file${files === 1 ? '' : 's'})`;
}

/** scikit-learn hyperparameters beside their defaults; those that differ are marked. */
function hyperparameterTable(info: ModelInfo): HTMLElement {
  const defaults = new Map((info.parameterDefaults?.parameters ?? []).map((p) => [p.name, p]));
  const version = info.parameterDefaults?.version;
  const rows = Object.entries(info.metadata).map(([name, value]) => {
    const known = defaults.get(name);
    const differs = known?.differs === true;
    const mark = differs ? element('span', { className: 'mark', text: '●', attrs: { title: 'differs from the default' } }) : undefined;
    return element('tr', differs ? { className: 'differs', attrs: { 'data-differs': 'true' } } : {}, [
      element('td', { text: name }),
      element('td', {}, [...(mark ? [mark] : []), document.createTextNode(value)]),
      element('td', { className: known?.default == null ? 'muted' : '', text: known?.default ?? 'default unknown' }),
    ]);
  });
  return element('table', { attrs: { 'aria-label': 'Hyperparameters' } }, [
    element('caption', {}, [
      document.createTextNode('Hyperparameters'),
      ...(version ? [element('span', { className: 'legend', text: ` ● differs from the default (defaults of scikit-learn ${version})` })] : []),
    ]),
    element('thead', {}, [element('tr', {}, ['parameter', 'value', 'default'].map((h) => element('th', { text: h })))]),
    element('tbody', {}, rows),
  ]);
}

function render(info: ModelInfo): void {
  // A scikit-learn model holds numpy arrays and hyperparameters rather than tensors and metadata.
  const sklearn = info.format === 'sklearn';
  const arrays = sklearn ? 'arrays' : 'tensors';
  const sections: HTMLElement[] = [element('h1', { text: info.path }), element('p', { className: 'muted', text: `${FORMAT_NAMES[info.format]} · ${sizeText(info)} · ${info.tensorCount} ${arrays} · ${formatCount(info.parameterCount)} ${sklearn ? 'learned values' : 'parameters'} · read ${formatBytes(info.bytesRead)}` })];
  // What loading the file would run: a caution in warning colours, not an error in the file.
  if (info.warnings?.length) sections.push(element('ul', { className: 'warnings', attrs: { 'aria-label': 'Warnings', role: 'note' } }, info.warnings.map((w) => element('li', { text: w }))));
  if (info.problems.length) sections.push(element('ul', { className: 'problems', attrs: { 'aria-label': 'Problems' } }, info.problems.map((p) => element('li', { text: p }))));
  sections.push(table('Summary', ['', ''], info.facts.map((f) => [f.label, f.value])));
  if (info.inputs?.length || info.outputs?.length) {
    sections.push(table('Inputs and outputs', ['', 'name', 'dtype', 'shape'], [...(info.inputs ?? []).map((i) => ['input', i.name, i.dtype, shape(i)]), ...(info.outputs ?? []).map((o) => ['output', o.name, o.dtype, shape(o)])]));
  }
  const ops = Object.entries(info.operators ?? {});
  if (ops.length) {
    const max = Math.max(...ops.map(([, n]) => n));
    sections.push(
      element('section', { attrs: { 'aria-label': 'Operators' } }, [
        element('h2', { text: 'Operators' }),
        ...ops.map(([op, n]) => element('div', { className: 'bar' }, [element('span', { className: 'op', text: op }), element('span', { className: 'fill', attrs: { 'data-w': String(Math.round((n / max) * 100)) } }), element('span', { className: 'n', text: String(n) })])),
      ]),
    );
  }
  const dtypes = Object.entries(info.bytesByDtype);
  if (dtypes.length) sections.push(table('Bytes by dtype', ['dtype', 'bytes'], dtypes.map(([d, b]) => [d, formatBytes(b)])));
  const tensorsTitle = sklearn ? 'Fitted arrays' : 'Tensors';
  if (info.tensors.length) sections.push(table(`${tensorsTitle}${info.tensorCount > info.tensors.length ? ` (first ${info.tensors.length} of ${info.tensorCount})` : ''}`, ['name', 'dtype', 'shape'], info.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`]), tensorsTitle));
  const meta = Object.entries(info.metadata);
  if (meta.length) sections.push(sklearn ? hyperparameterTable(info) : table('Metadata', ['key', 'value'], meta.map(([k, v]) => [k, v])));
  if (info.externalData?.length) {
    const sizes = info.externalDataBytes ?? [];
    sections.push(table('External data', ['file', 'size'], info.externalData.map((f, i) => [f, sizes[i] == null ? 'missing, or outside the model folder' : formatBytes(sizes[i])])));
  }
  root.replaceChildren(...sections);
  // Bar widths through CSS classes in steps of 5% (the CSP allows no inline styles).
  for (const fill of root.querySelectorAll<HTMLElement>('.fill')) fill.classList.add(`w${Math.max(1, Math.round(Number(fill.dataset.w) / 5)) * 5}`);
}

onHostMessage<ToModelView>((message) => {
  if (message.type === 'model') render(message.info);
  else root.replaceChildren(element('h1', { text: message.path }), element('p', { className: 'error', attrs: { role: 'alert' }, text: message.message }));
});
postToHost<FromModelView>({ type: 'ready' });
