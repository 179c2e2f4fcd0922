import type { FileWindow } from './fileWindow';
import { ModelFormatError } from './fileWindow';
import { inflateCapped } from './inflate';
import { countUp, MAX_LISTED_TENSORS, shortText, type IoInfo, type ModelInfo, type ParameterDefault, type TensorInfo } from './modelInfo';
import { parameterDefault, SKLEARN_DEFAULTS_VERSION } from './sklearnParameterDefaults';
import { numpyDtype, type NumpyDtype } from './numpyDtype';
import { MAX_PICKLE, PickleBudget, PickleCall, PickleDict, PickleGlobal, PickleTuple, pickleText, scanPickle, type PickleValue } from './pickleScan';

// scikit-learn (and XGBoost / LightGBM sklearn-API) models saved with pickle.dump or joblib.dump,
// read as data (pickleScan: nothing is run): the estimator and its pipeline steps, hyperparameters,
// the scikit-learn version, features in, classes, and the fitted arrays' dtypes and shapes.
// joblib writes each numpy array's bytes straight after its NumpyArrayWrapper record, outside the
// pickle; those are skipped by size. joblib's zlib / gzip compression is inflated with a size cap.
// The pickle's objects can be shared and contain themselves (a pipeline whose step is the
// pipeline): every walk keeps a visited set, and what is kept from the file is capped.

/** A numpy array as the pickle describes it: `_reconstruct` records and joblib's wrappers alike. */
interface ArrayInfo {
  /** numpy's name for it: float64, <U7, [('left_child', '<i8'), …]. */
  readonly dtype: string;
  /** numpy's kind character (f i u c b U S V O M m). */
  readonly kind: string;
  readonly shape: number[];
  /** The raw little-endian bytes, when the pickle holds them (small arrays are shown). */
  readonly raw?: Uint8Array;
  readonly object: boolean;
  readonly elements?: PickleValue;
}

const NDARRAY = new PickleGlobal('numpy', 'ndarray');
/** Hyperparameters listed (get_params(deep=True) of a big pipeline has hundreds). */
const MAX_HYPERPARAMETERS = 300;
/** Pipeline steps named in the facts; more are counted. */
const MAX_SHOWN_STEPS = 20;
/** Array names stop growing past this many characters. */
const MAX_PATH = 1000;
/** Classes named in the warning (five are shown). */
const MAX_CLASSES = 50;

/** Whether the first bytes look like a pickle or joblib's compressed pickle (zlib, gzip), given the name. */
export function looksLikePickledModel(path: string, head: Uint8Array): boolean {
  if (head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return true;
  const named = /\.(pkl|pickle|joblib|sav|z|gz)$/i.test(path);
  return named && ((head[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(head[1]!)) || (head[0] === 0x1f && head[1] === 0x8b));
}

export function readPickledModel(file: FileWindow): ModelInfo {
  if (file.size > MAX_PICKLE) throw new ModelFormatError(`a ${Math.round(file.size / 2 ** 20)} MB pickle: larger than the ${MAX_PICKLE / 2 ** 20} MB read as data`);
  let data = file.read(0, file.size, 'the pickle');
  const compression = data[0] === 0x80 ? undefined : data[0] === 0x1f ? 'gzip' : 'zlib';
  if (compression) data = inflateCapped(compression, data, MAX_PICKLE, `a ${compression}-compressed pickle`);
  let joblib = false;
  // One budget for the whole file: joblib nests a pickle of its own for each object array.
  const budget = new PickleBudget();
  const top = scanPickle(data, 0, {
    budget,
    afterBuild: (built, at) => {
      if (!(built.fn instanceof PickleGlobal) || built.fn.qualified !== 'joblib.numpy_pickle.NumpyArrayWrapper') return undefined;
      joblib = true;
      return joblibArray(data, built, at, budget);
    },
  }).value;
  const protocol = data[0] === 0x80 ? data[1]! : 0;
  const root = objectOf(top);
  const state = root?.state ?? new Map<string, PickleValue>();
  const version = text(state.get('_sklearn_version'), 100);
  // Only estimators: a pickled DataFrame or dict is data, not a model this describes.
  if (!root || (!version && !/^(sklearn|xgboost|lightgbm|catboost|imblearn)\./.test(root.cls.module + '.'))) {
    throw new ModelFormatError(`a pickle of ${root ? `a ${root.cls.qualified}` : `a ${describeValue(top)}`}, not a scikit-learn model (or a PyTorch file: no torch.save magic number); pickles are never executed, so it is not read further`);
  }
  const walk: Walk = { tensors: [], count: 0, parameters: 0, bytesByDtype: new Map(), classes: new Set(), modules: new Set(), seen: new Set() };
  collect(top, '', walk, 0);
  const metadata = new Map<string, string>();
  const defaults = new Map<string, Omit<ParameterDefault, 'name'>>();
  hyperparameters(root, '', { values: metadata, defaults }, new Set());
  const facts: { label: string; value: string }[] = [{ label: 'Format', value: `${joblib || /joblib/i.test(file.path) ? 'joblib' : 'pickle'} (protocol ${protocol})${compression ? `, ${compression}-compressed` : ''}` }];
  facts.push({ label: 'Contents', value: `${root.cls.name} (${root.cls.module})` });
  if (version) facts.push({ label: 'scikit-learn', value: `${version} (other versions may refuse or misread the file)` });
  const steps = pipelineSteps(state);
  if (steps.length > 0) facts.push({ label: 'Steps', value: steps.slice(0, MAX_SHOWN_STEPS).map(([name, cls]) => `${shortText(name, 100)}: ${cls}`).join(' → ') + (steps.length > MAX_SHOWN_STEPS ? ` → … (${steps.length} steps)` : '') });
  // A Pipeline's inputs are its first step's.
  const first = steps.length > 0 ? objectOf(stepObject(state, 0))?.state : state;
  const features = numberIn(first, 'n_features_in_');
  if (features !== undefined) facts.push({ label: 'Features in', value: String(features) });
  const names = stringsOf(first?.get('feature_names_in_'));
  if (names) facts.push({ label: 'Feature names', value: names.slice(0, 20).map((n) => shortText(n, 100)).join(', ') + (names.length > 20 ? `, … (${names.length})` : '') });
  const last = steps.length > 0 ? objectOf(stepObject(state, steps.length - 1))?.state : state;
  const classes = arrayOf(last?.get('classes_'));
  if (classes) facts.push({ label: 'Classes', value: classValues(classes) });
  const estimators = last?.get('estimators_');
  if (Array.isArray(estimators)) facts.push({ label: 'Estimators', value: String(estimators.length) });
  facts.push({ label: 'Fitted', value: isFitted(state) ? 'yes' : 'no (no fitted attributes: fit it before saving)' });
  const warnings: string[] = [];
  if (walk.classes.size > 0) warnings.push(`pickles Python classes (${[...walk.classes].slice(0, 5).join(', ')}${walk.classes.size > 5 ? ', …' : ''}): joblib.load / pickle.load runs their code; load only files you trust`);
  return {
    format: 'sklearn',
    path: file.path,
    fileBytes: file.size,
    facts,
    tensorCount: walk.count,
    parameterCount: walk.parameters,
    bytesByDtype: Object.fromEntries(walk.bytesByDtype),
    tensors: walk.tensors,
    ...(features !== undefined ? { inputs: (first && columnInputs(first, names)) ?? [{ name: 'X', dtype: 'float', shape: ['batch', features] }] } : {}),
    metadata: Object.fromEntries(metadata),
    ...(metadata.size > 0 ? { parameterDefaults: { version: SKLEARN_DEFAULTS_VERSION, parameters: [...metadata.keys()].map((name) => ({ name, ...(defaults.get(name) ?? { default: null, differs: null }) })) } } : {}),
    bytesRead: file.bytesRead,
    problems: [],
    warnings,
    pickledModules: [...walk.modules],
  };
}

/** The array after a joblib NumpyArrayWrapper: skip its bytes (or read its nested object pickle). */
function joblibArray(data: Uint8Array, wrapper: PickleCall, at: number, budget: PickleBudget): { value: PickleValue; end: number } {
  const state = dictOf(wrapper.state);
  const shape = tupleNumbers(state.get('shape'));
  const dtype = dtypeOf(state.get('dtype'));
  if (!shape || !dtype) throw new ModelFormatError(`a joblib array at byte ${at} without a shape or dtype`);
  const fortran = state.get('order') === 'F';
  if (dtype.object) {
    // Arrays of Python objects (feature names, string classes) follow as a pickle of their own.
    const nested = scanPickle(data, at, { budget });
    return { value: arrayRecord(state.get('shape') ?? null, state.get('dtype') ?? null, fortran, null, nested.value), end: nested.end };
  }
  let start = at;
  if (state.get('numpy_array_alignment_bytes') !== undefined && state.get('numpy_array_alignment_bytes') !== null) {
    if (at >= data.length) throw new ModelFormatError(`a joblib array at byte ${at} is cut short`);
    start = at + 1 + data[at]!;
  }
  const bytes = shape.reduce((a, b) => a * b, 1) * dtype.itemsize;
  if (!Number.isSafeInteger(bytes) || start + bytes > data.length) throw new ModelFormatError(`a joblib array at byte ${at} claims ${bytes} bytes, past the end of the file`);
  return { value: arrayRecord(state.get('shape') ?? null, state.get('dtype') ?? null, fortran, data.subarray(start, start + bytes), null), end: start + bytes };
}

/** A joblib array as a `_reconstruct`-shaped record, so one reader describes both. */
function arrayRecord(shape: PickleValue, dtype: PickleValue, fortran: boolean, raw: Uint8Array | null, elements: PickleValue): PickleCall {
  const record = new PickleCall(NDARRAY, []);
  record.state = new PickleTuple([1, shape, dtype, fortran, raw ?? elements]);
  return record;
}

/** A dtype as the readers below need it: numpy's name, and whether its elements are Python objects. */
function dtypeOf(value: PickleValue | undefined): (NumpyDtype & { object: boolean }) | undefined {
  const dtype = numpyDtype(value);
  return dtype && { ...dtype, object: dtype.kind === 'O' };
}

function arrayOf(value: PickleValue | undefined): ArrayInfo | undefined {
  if (!(value instanceof PickleCall) || !(value.fn instanceof PickleGlobal)) return undefined;
  const fn = value.fn.qualified;
  let shape: PickleValue | undefined;
  let dtypeValue: PickleValue | undefined;
  let payload: PickleValue | undefined;
  if (/^numpy\.(_?core\.)?numeric\._frombuffer$/.test(fn)) {
    // Protocol 5: _frombuffer(bytes, dtype, shape, order)
    [payload, dtypeValue, shape] = value.args;
  } else if ((fn === 'numpy.ndarray' || /^numpy\.(_?core\.)?multiarray\._reconstruct$/.test(fn)) && value.state instanceof PickleTuple) {
    // _reconstruct(ndarray, (0,), b'b') then BUILD (version, shape, dtype, is_fortran, data)
    [, shape, dtypeValue, , payload] = value.state.items;
  } else return undefined;
  const dims = tupleNumbers(shape);
  const dtype = dtypeOf(dtypeValue);
  if (!dims || !dtype) return undefined;
  const raw = payload instanceof Uint8Array ? payload : latin1Bytes(payload);
  return { dtype: dtype.name, kind: dtype.kind, shape: dims, object: dtype.object, ...(raw ? { raw } : { elements: payload ?? null }) };
}

/** Protocol 2 writes bytes as `_codecs.encode(text, 'latin1')`. */
function latin1Bytes(value: PickleValue | undefined): Uint8Array | undefined {
  if (!(value instanceof PickleCall) || !(value.fn instanceof PickleGlobal) || value.fn.qualified !== '_codecs.encode' || typeof value.args[0] !== 'string') return undefined;
  return Buffer.from(value.args[0], 'latin1');
}

interface Walk {
  tensors: TensorInfo[];
  count: number;
  parameters: number;
  bytesByDtype: Map<string, number>;
  classes: Set<string>;
  /** Top-level modules of every global the pickle names (joblib.load imports them): serving's approval checks the workspace's. */
  modules: Set<string>;
  seen: Set<PickleValue>;
}

/** Every array under `value` (named by its path) and every class the pickle names. */
function collect(value: PickleValue, path: string, walk: Walk, depth: number): void {
  if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Uint8Array || walk.seen.has(value)) return;
  walk.seen.add(value);
  if (value instanceof PickleGlobal) {
    if (walk.modules.size < MAX_CLASSES) walk.modules.add(value.module.split('.')[0]!);
    return;
  }
  const array = arrayOf(value);
  if (array) {
    walk.count++;
    const n = array.shape.reduce((a, b) => a * b, 1);
    if (array.kind === 'f') walk.parameters += n;
    if (!array.object) countUp(walk.bytesByDtype, array.dtype, array.raw?.length ?? 0);
    if (walk.tensors.length < MAX_LISTED_TENSORS) walk.tensors.push({ name: path || '(top)', dtype: array.dtype, shape: array.shape });
    return;
  }
  const at = (key: string): string => (path.length >= MAX_PATH ? path : path ? `${path}.${shortText(key, 200)}` : shortText(key, 200));
  if (value instanceof PickleCall) {
    const cls = objectOf(value)?.cls;
    if (cls && walk.classes.size < MAX_CLASSES && !/^(numpy|builtins|collections|copyreg)\./.test(cls.qualified)) walk.classes.add(cls.qualified);
    collect(value.fn, path, walk, depth + 1);
    if (cls) collect(cls, path, walk, depth + 1);
    value.args.forEach((a, i) => collect(a, at(`arg${i}`), walk, depth + 1));
    collect(value.state, path, walk, depth + 1);
    value.items.forEach((a, i) => collect(a, at(String(i)), walk, depth + 1));
    for (const [k, v] of value.entries) collect(v, at(pickleText(k)), walk, depth + 1);
  } else if (value instanceof PickleDict) {
    for (const [k, v] of value.entries) collect(v, at(pickleText(k)), walk, depth + 1);
  } else if (value instanceof PickleTuple || Array.isArray(value)) {
    const items = value instanceof PickleTuple ? value.items : value;
    items.forEach((v, i) => {
      // (name, estimator, …) items of a Pipeline / ColumnTransformer are named by their name.
      if (v instanceof PickleTuple && typeof v.items[0] === 'string' && objectOf(v.items[1] ?? null)) collect(v.items[1]!, at(v.items[0]), walk, depth + 1);
      else collect(v, at(String(i)), walk, depth + 1);
    });
  }
}

interface PickledObject {
  /** The record it was read from: what walks remember having seen. */
  readonly call: PickleCall;
  readonly cls: PickleGlobal;
  readonly state: Map<string, PickleValue>;
}

/** An instance the pickle builds: its class and its __dict__ (NEWOBJ, copyreg._reconstructor, or a REDUCE of the class). */
function objectOf(value: PickleValue | undefined): PickledObject | undefined {
  if (!(value instanceof PickleCall) || !(value.fn instanceof PickleGlobal)) return undefined;
  let cls = value.fn;
  if (cls.qualified === 'copyreg._reconstructor' && value.args[0] instanceof PickleGlobal) cls = value.args[0];
  else if (!/^[A-Z_]/.test(cls.name) || arrayOf(value)) return undefined;
  return { call: value, cls, state: dictOf(value.state instanceof PickleTuple ? (value.state.items[0] ?? null) : value.state) };
}

function dictOf(value: PickleValue): Map<string, PickleValue> {
  const out = new Map<string, PickleValue>();
  if (value instanceof PickleDict) for (const [k, v] of value.entries) out.set(pickleText(k), v);
  return out;
}

/** Hyperparameters by their get_params name, and each one's default where the table knows it. */
interface Hyperparameters {
  readonly values: Map<string, string>;
  readonly defaults: Map<string, Omit<ParameterDefault, 'name'>>;
}

/**
 * Constructor arguments as get_params(deep=True) names them: `C`, `logisticregression__C`. Each
 * object is described once (`seen`): a pipeline can hold itself, or share a step with another.
 */
function hyperparameters(object: PickledObject, prefix: string, out: Hyperparameters, seen: Set<PickleCall>, depth = 0): void {
  if (depth > 8 || seen.has(object.call)) return;
  seen.add(object.call);
  const set = (name: string, param: string, text: string): void => {
    out.values.set(name, text);
    out.defaults.set(name, parameterDefault(object.cls.module, object.cls.name, param, text));
  };
  for (const [key, value] of object.state) {
    if (out.values.size >= MAX_HYPERPARAMETERS) return;
    if (key.startsWith('_') || key.endsWith('_')) continue;
    const name = prefix + shortText(key, 100);
    const scalar = scalarText(value);
    if (scalar !== undefined) set(name, key, shortText(scalar, 200));
    const nested = objectOf(value);
    if (nested) {
      set(name, key, nested.cls.name);
      hyperparameters(nested, `${name}__`, out, seen, depth + 1);
    }
    if (Array.isArray(value) && (key === 'steps' || key === 'transformers' || key === 'transformer_list' || key === 'estimators')) {
      for (const item of value) {
        if (out.values.size >= MAX_HYPERPARAMETERS) return;
        if (!(item instanceof PickleTuple) || typeof item.items[0] !== 'string') continue;
        const step = objectOf(item.items[1] ?? null);
        if (step) hyperparameters(step, `${prefix}${shortText(item.items[0], 100)}__`, out, seen, depth + 1);
      }
    }
  }
}

function scalarText(value: PickleValue): string | undefined {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return String(value);
  const n = numpyScalar(value);
  return n === undefined ? undefined : String(n);
}

/** numpy.float64(0.1) and friends, pickled as `scalar(dtype, bytes)`. */
function numpyScalar(value: PickleValue): number | undefined {
  if (!(value instanceof PickleCall) || !(value.fn instanceof PickleGlobal) || !/^numpy\.(_?core\.)?multiarray\.scalar$/.test(value.fn.qualified)) return undefined;
  const dtype = dtypeOf(value.args[0] ?? null);
  const raw = value.args[1] instanceof Uint8Array ? value.args[1] : latin1Bytes(value.args[1]);
  if (!dtype || !raw) return undefined;
  return numbersOf(dtype.name, raw, 1)?.[0];
}

function numbersOf(dtype: string, raw: Uint8Array, max: number): number[] | undefined {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const readers = new Map<string, [number, (at: number) => number]>([
    ['float64', [8, (at) => view.getFloat64(at, true)]],
    ['float32', [4, (at) => view.getFloat32(at, true)]],
    ['int64', [8, (at) => Number(view.getBigInt64(at, true))]],
    ['int32', [4, (at) => view.getInt32(at, true)]],
    ['uint8', [1, (at) => view.getUint8(at)]],
    ['bool', [1, (at) => view.getUint8(at)]],
  ]);
  const reader = readers.get(dtype);
  if (!reader) return undefined;
  const n = Math.min(max, Math.floor(raw.length / reader[0]));
  return Array.from({ length: n }, (_, i) => reader[1](i * reader[0]));
}

function classValues(array: ArrayInfo): string {
  const count = array.shape[0] ?? 0;
  const shown = array.raw ? (array.kind === 'U' ? unicodeStrings(array.raw, array.shape[0] ?? 0, 20) : numbersOf(array.dtype, array.raw, 20)?.map(String)) : stringsOf(array.elements ?? null, true);
  return shown && shown.length > 0 ? `${count}: ${shown.slice(0, 20).map((c) => shortText(c, 100)).join(', ')}${count > 20 ? ', …' : ''}` : String(count);
}

/** numpy's fixed-width unicode (UTF-32, NUL-padded): the first `max` of `count` strings, each cut at 100 characters. */
function unicodeStrings(raw: Uint8Array, count: number, max: number): string[] {
  const width = count > 0 ? raw.length / count : 0;
  if (!Number.isInteger(width) || width % 4 !== 0) return [];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: Math.min(count, max) }, (_, i) => {
    let text = '';
    for (let at = i * width; at < (i + 1) * width; at += 4) {
      const c = view.getUint32(at, true);
      if (c === 0 || c > 0x10ffff) break;
      if (text.length >= 100) return `${text}…`;
      text += String.fromCodePoint(c);
    }
    return text;
  });
}

/** The strings of an object array (feature names, string class labels). */
function stringsOf(value: PickleValue | undefined, isElements = false): string[] | undefined {
  const elements = isElements ? value : arrayOf(value)?.elements;
  // A nested numpy pickle of objects: _reconstruct with its state's last item the list of objects.
  const inner = elements instanceof PickleCall ? arrayOf(elements)?.elements : elements;
  const list = Array.isArray(inner) ? inner : inner instanceof PickleTuple ? inner.items : undefined;
  return list?.every((s) => typeof s === 'string') ? list : undefined;
}

/** Input columns listed at most (a wide frame's rest is in "Feature names"). */
const MAX_INPUT_COLUMNS = 200;

/**
 * A fitted ColumnTransformer's inputs, one per column (#20: a mixed-type frame is no float matrix):
 * each column with the dtype its transformer's first step was fitted on (SimpleImputer keeps it as
 * `_fit_dtype`), else what that step takes (an encoder: categories, a scaler: numbers); columns the
 * transformer drops are still required by name, and said so. Undefined for anything else.
 */
function columnInputs(state: Map<string, PickleValue>, names: readonly string[] | undefined): IoInfo[] | undefined {
  const fitted = state.get('transformers_');
  if (!Array.isArray(fitted)) return undefined;
  const types = new Map<string, string>();
  for (const item of fitted) {
    if (!(item instanceof PickleTuple)) continue;
    const [, transformer, columns] = item.items;
    const listed = Array.isArray(columns) ? columns : columns instanceof PickleTuple ? columns.items : stringsOf(columns) ?? [];
    const type = transformer === 'drop' ? 'unused (dropped)' : transformer === 'passthrough' ? 'passed through' : inputTypeOf(transformer);
    for (const c of listed) {
      const name = typeof c === 'string' ? c : typeof c === 'number' && names ? names[c] : undefined;
      if (name !== undefined && !types.has(name)) types.set(name, type);
    }
  }
  const order = (names ?? [...types.keys()]).filter((n) => types.has(n));
  if (order.length === 0 || order.length > MAX_INPUT_COLUMNS) return undefined;
  return order.map((name) => ({ name: shortText(name, 100), dtype: types.get(name)!, shape: ['batch'] }));
}

/** The dtype a transformer's first step was fitted on, else what kind of values it takes. */
function inputTypeOf(transformer: PickleValue | undefined): string {
  let step = objectOf(transformer);
  for (let depth = 0; step && pipelineSteps(step.state).length > 0 && depth < 8; depth++) step = objectOf(stepObject(step.state, 0));
  if (!step) return 'unknown';
  const fitted = numpyDtype(step.state.get('_fit_dtype'));
  if (fitted) return fitted.name;
  if (/Encoder$/.test(step.cls.name)) return 'category';
  if (/(Scaler|Normalizer|Discretizer|PolynomialFeatures)$/.test(step.cls.name)) return 'number';
  return 'unknown';
}

function pipelineSteps(state: Map<string, PickleValue>): [string, string][] {
  const steps = state.get('steps');
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s) => (s instanceof PickleTuple && typeof s.items[0] === 'string' ? [[s.items[0], objectOf(s.items[1] ?? null)?.cls.name ?? pickleText(s.items[1] ?? null)] as [string, string]] : []));
}

function stepObject(state: Map<string, PickleValue>, index: number): PickleValue {
  const steps = state.get('steps');
  const step = Array.isArray(steps) ? steps[index] : undefined;
  return step instanceof PickleTuple ? (step.items[1] ?? null) : null;
}

/** scikit-learn's own test (check_is_fitted): an attribute ending in "_" that is not private; a pipeline's, of its last step. */
function isFitted(state: Map<string, PickleValue>): boolean {
  const seen = new Set<PickleCall>();
  for (let current = state; ; ) {
    const steps = pipelineSteps(current).length;
    if (steps === 0) return [...current.keys()].some((k) => k.endsWith('_') && !k.startsWith('_'));
    const last = objectOf(stepObject(current, steps - 1));
    // A pipeline whose last step leads back to itself was never fitted.
    if (!last || seen.has(last.call)) return false;
    seen.add(last.call);
    current = last.state;
  }
}

function numberIn(state: Map<string, PickleValue> | undefined, key: string): number | undefined {
  const v = state?.get(key);
  return typeof v === 'number' ? v : numpyScalar(v ?? null);
}

function text(v: PickleValue | undefined, max: number): string | undefined {
  return typeof v === 'string' ? shortText(v, max) : undefined;
}

function tupleNumbers(value: PickleValue | undefined): number[] | undefined {
  const items = value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : undefined;
  return items?.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0) ? (items as number[]) : undefined;
}

function describeValue(v: PickleValue): string {
  if (v instanceof PickleDict) return `dict (${v.entries.length} keys)`;
  if (Array.isArray(v)) return `list (${v.length} items)`;
  if (v instanceof PickleTuple) return `tuple (${v.items.length} items)`;
  return pickleText(v);
}
