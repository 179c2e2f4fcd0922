import { shortText } from './modelInfo';
import { PickleCall, PickleDict, PickleGlobal, PickleTuple, pickleText, type PickleValue } from './pickleScan';

// A numpy dtype as a pickle holds it: `numpy.dtype(descr, align, copy)` then BUILD with the state
// (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]). Named as
// numpy's str(dtype) names it: `float64`, `bool`, `object`, `<U56`, `|S8`, `>f4`,
// `datetime64[ns]`, and a structured dtype as its field list `[('left_child', '<i8'), …]` (or
// numpy's dict form when its fields are not packed in order).

export interface NumpyDtype {
  /** numpy's str(dtype). */
  readonly name: string;
  /** The kind character: f i u c b U S V O M m. */
  readonly kind: string;
  /** Bytes per element. */
  readonly itemsize: number;
  /** Little-endian (or byte order not applicable): the raw bytes read as they are. */
  readonly littleEndian: boolean;
}

/** Fields of a structured dtype named; more are left to its `|V<size>` name. */
const MAX_FIELDS = 64;
/** Structured dtypes nest (a field of records): this deep at most. */
const MAX_DEPTH = 4;
const NUMERIC = new Map(Object.entries({ f: 'float', i: 'int', u: 'uint', c: 'complex' }));

export function numpyDtype(value: PickleValue | undefined, depth = 0): NumpyDtype | undefined {
  if (!(value instanceof PickleCall) || typeof value.args[0] !== 'string' || depth > MAX_DEPTH) return undefined;
  if (value.fn instanceof PickleGlobal && !/^numpy(\.|$)/.test(value.fn.module)) return undefined;
  const descr = value.args[0];
  const kind = descr[0] ?? '';
  const size = Number(/^\D(\d*)/.exec(descr)?.[1] ?? '') || 0;
  const state = value.state instanceof PickleTuple ? value.state.items : [];
  const order = typeof state[1] === 'string' ? (state[1] === '=' ? '<' : state[1]) : kind === 'b' || kind === 'O' || kind === 'S' || kind === 'V' || size === 1 ? '|' : '<';
  const elsize = typeof state[5] === 'number' && state[5] > 0 ? state[5] : undefined;
  const itemsize = elsize ?? (kind === 'U' ? size * 4 : kind === 'M' || kind === 'm' ? 8 : size);
  const littleEndian = order !== '>';
  const fields = structFields(state, depth);
  let name: string;
  if (fields) name = structName(fields, itemsize);
  else if (kind === 'b') name = 'bool';
  else if (kind === 'O') name = 'object';
  else if (kind === 'U' || kind === 'S' || kind === 'V') name = `${order}${kind}${kind === 'U' ? itemsize / 4 : itemsize}`;
  else if (kind === 'M' || kind === 'm') name = littleEndian ? `${kind === 'M' ? 'datetime64' : 'timedelta64'}${datetimeUnit(state)}` : `>${kind}8${datetimeUnit(state)}`;
  else if (NUMERIC.has(kind) && itemsize > 0) name = littleEndian ? `${NUMERIC.get(kind)}${itemsize * 8}` : `>${kind}${itemsize}`;
  else name = shortText(descr, 20);
  return { name: shortText(name, 1000), kind, itemsize, littleEndian };
}

/** How numpy writes a field's dtype inside a structured one: '<i8', 'u1', '?', 'O', '<U3', 'S2'. */
function fieldFormat(value: PickleValue | undefined, depth: number): string | undefined {
  const dtype = numpyDtype(value, depth + 1);
  if (!dtype) return undefined;
  if (dtype.name.startsWith('[') || dtype.name.startsWith('{')) return dtype.name;
  if (dtype.kind === 'b') return '?';
  if (dtype.kind === 'O') return 'O';
  if (dtype.name.startsWith('<') || dtype.name.startsWith('>')) return dtype.name;
  if (dtype.name.startsWith('|')) return dtype.name.slice(1);
  const unit = /\[\w+\]$/.exec(dtype.name)?.[0] ?? '';
  const size = dtype.kind === 'U' ? dtype.itemsize / 4 : dtype.kind === 'M' || dtype.kind === 'm' ? 8 : dtype.itemsize;
  return dtype.itemsize === 1 && dtype.kind !== 'U' ? `${dtype.kind}1` : `${dtype.littleEndian ? '<' : '>'}${dtype.kind}${size}${unit}`;
}

interface Field {
  readonly name: string;
  readonly format: string;
  readonly offset: number;
  readonly itemsize: number;
}

/** The fields of a structured dtype, in order, when the state names them and each reads. */
function structFields(state: readonly PickleValue[], depth: number): Field[] | undefined {
  const names = state[3];
  const fields = state[4];
  if (!(names instanceof PickleTuple) || !(fields instanceof PickleDict) || names.items.length === 0 || names.items.length > MAX_FIELDS) return undefined;
  const byName = new Map(fields.entries.map(([k, v]) => [pickleText(k), v]));
  const out: Field[] = [];
  for (const item of names.items) {
    if (typeof item !== 'string') return undefined;
    const entry = byName.get(item);
    const [dtype, offset] = entry instanceof PickleTuple ? entry.items : [];
    const format = fieldFormat(dtype, depth);
    const size = numpyDtype(dtype, depth + 1)?.itemsize;
    if (format === undefined || size === undefined || typeof offset !== 'number') return undefined;
    out.push({ name: shortText(item, 100), format, offset, itemsize: size });
  }
  return out;
}

/** numpy's list form when the fields are packed in order and fill the item; its dict form otherwise. */
function structName(fields: readonly Field[], itemsize: number): string {
  let at = 0;
  const packed = fields.every((f) => {
    const ok = f.offset === at;
    at += f.itemsize;
    return ok;
  }) && at === itemsize;
  const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (packed) return `[${fields.map((f) => `(${quote(f.name)}, ${quote(f.format)})`).join(', ')}]`;
  return `{'names': [${fields.map((f) => quote(f.name)).join(', ')}], 'formats': [${fields.map((f) => quote(f.format)).join(', ')}], 'offsets': [${fields.map((f) => f.offset).join(', ')}], 'itemsize': ${itemsize}}`;
}

/** `[ns]` from a datetime dtype's metadata ({}, (b'ns', 1, 1, 1)); `[10ms]` for multiples; `` for generic. */
function datetimeUnit(state: readonly PickleValue[]): string {
  const metadata = state[8];
  const info = metadata instanceof PickleTuple ? metadata.items[1] : undefined;
  if (!(info instanceof PickleTuple)) return '';
  const [unit, count] = info.items;
  const text = unit instanceof Uint8Array ? new TextDecoder('latin1').decode(unit) : typeof unit === 'string' ? unit : '';
  if (!/^[a-zA-Z]{1,8}$/.test(text) || text === 'generic') return '';
  return `[${typeof count === 'number' && count > 1 ? count : ''}${text}]`;
}
