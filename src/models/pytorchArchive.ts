import { type FileWindow, ModelFormatError } from './fileWindow';
import { countUp, elementCount, MAX_LISTED_ITEMS, MAX_LISTED_TENSORS, shortText, type ModelInfo, type TensorInfo, type TorchKind } from './modelInfo';
import { MAX_PICKLE, PickleCall, PickleDict, PickleGlobal, PicklePid, PickleTuple, pickleText, scanPickle, type PickleValue } from './pickleScan';
import { readZipEntry, type ZipEntry } from './zipArchive';

// PyTorch files (docs/formats.md §5.4) listed without running their pickles: the zip
// archive torch.save writes since 1.6 (data.pkl + one entry per storage), TorchScript archives, and
// the legacy sequential-pickle format. Tensors are the `_rebuild_tensor_v2(storage, offset, size,
// stride, …)` records in the pickle; their names are the dict keys leading to them.

/** Storage class -> dtype and bytes per element (a Map: class names come from the file). */
const STORAGE_DTYPES = new Map<string, [string, number]>(Object.entries({
  FloatStorage: ['float32', 4], DoubleStorage: ['float64', 8], HalfStorage: ['float16', 2], BFloat16Storage: ['bfloat16', 2],
  LongStorage: ['int64', 8], IntStorage: ['int32', 4], ShortStorage: ['int16', 2], CharStorage: ['int8', 1], ByteStorage: ['uint8', 1],
  BoolStorage: ['bool', 1], ComplexFloatStorage: ['complex64', 8], ComplexDoubleStorage: ['complex128', 16],
  QInt8Storage: ['qint8', 1], QUInt8Storage: ['quint8', 1], QInt32Storage: ['qint32', 4], QUInt4x2Storage: ['quint4x2', 1],
  Float8_e4m3fnStorage: ['float8_e4m3fn', 1], Float8_e5m2Storage: ['float8_e5m2', 1], UInt16Storage: ['uint16', 2], UInt32Storage: ['uint32', 4], UInt64Storage: ['uint64', 8],
}));

/** Module attributes that hold parameters and submodules: left out of tensor names, as state_dict() does. */
const MODULE_SLOTS = new Set(['_parameters', '_buffers', '_modules']);
/** Globals a state dict or checkpoint needs; anything else is a class whose code torch.load would run. */
const DATA_GLOBALS = /^(torch(\.|$)|collections\.|(__)?builtins?(__)?\.|numpy\.(core\.multiarray\.(scalar|_reconstruct)|dtype|ndarray)|_codecs\.encode$)/;

interface Storage {
  readonly dtype: string;
  readonly bytes: number;
}

/** Problems listed before the rest are only counted. */
const MAX_PROBLEMS = 20;
/** Classes named in the warning: five are shown, so a few more than that is enough. */
const MAX_CLASSES = 50;
/** Tensor names stop growing past this many characters (keys can be any string the pickle holds). */
const MAX_PATH = 1000;
/** Pickles nest this deep at most in what torch writes (a module tree, a checkpoint's dicts). */
const MAX_DEPTH = 200;

class Walk {
  readonly tensors: TensorInfo[] = [];
  count = 0;
  parameters = 0;
  readonly storages = new Map<string, Storage>();
  readonly classes = new Set<string>();
  readonly problems: string[] = [];
  /** Containers already walked: the pickle's memo shares them, and a list can contain itself. */
  readonly seen = new Set<object>();
  private unlisted = 0;

  constructor(
    /** Storage sizes in the archive by key (zip), or undefined (legacy: numel from the id). */
    readonly storageBytes: ((key: string) => number | undefined) | undefined,
  ) {}

  /** Whether `value` can hold a tensor not yet found: a container not walked yet (tensor records always are). */
  worthWalking(value: PickleValue): boolean {
    return value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !this.seen.has(value);
  }

  problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
    else this.unlisted++;
  }

  pickledClass(qualified: string): void {
    if (this.classes.size < MAX_CLASSES && !DATA_GLOBALS.test(qualified)) this.classes.add(qualified);
  }

  allProblems(): string[] {
    return this.unlisted > 0 ? [...this.problems, `… and ${this.unlisted} more problems like these`] : [...this.problems];
  }
}

/** Reads a torch.save zip archive (or TorchScript) from its directory. */
export function readPytorchZip(file: FileWindow, entries: readonly ZipEntry[]): ModelInfo {
  const pickleEntry = entries.find((e) => /(^|\/)data\.pkl$/.test(e.name));
  if (!pickleEntry) throw new ModelFormatError('a zip archive without data.pkl: not a torch.save file');
  const prefix = pickleEntry.name.slice(0, -'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const text = (name: string): string | undefined => {
    const entry = byName.get(`${prefix}${name}`);
    return entry && entry.size < 1024 ? new TextDecoder().decode(readZipEntry(file, entry, 1024)).trim() : undefined;
  };
  const walk = new Walk((key) => byName.get(`${prefix}data/${key}`)?.size);
  const value = scanPickle(readZipEntry(file, pickleEntry, MAX_PICKLE)).value;
  const torchScript = isTorchScript(entries, prefix, value);
  collect(value, '', walk);
  // TorchScript keeps its tensors' constants in constants.pkl.
  const constants = byName.get(`${prefix}constants.pkl`);
  if (constants) collect(scanPickle(readZipEntry(file, constants, MAX_PICKLE)).value, 'constants', walk);
  const version = text('version');
  const byteorder = text('byteorder');
  const facts = [
    { label: 'Format', value: torchScript ? 'TorchScript archive (torch.jit.save)' : 'PyTorch zip archive (torch.save)' },
    ...(version ? [{ label: 'Archive version', value: version }] : []),
    ...(byteorder ? [{ label: 'Byte order', value: byteorder }] : []),
    { label: 'Contents', value: describeTop(value) },
    { label: 'Storages', value: String(walk.storages.size) },
  ];
  return finish('pytorch', file, facts, value, walk, torchScript);
}

/**
 * Whether an archive is what torch.jit.save writes, by its structure: beside data.pkl, constants.pkl,
 * a version record and the modules' code (code/__torch__/….py), and data.pkl holds an object of a
 * compiled `__torch__` class. Never by words in names or text, which any pickle can hold.
 */
function isTorchScript(entries: readonly ZipEntry[], prefix: string, top: PickleValue): boolean {
  const names = new Set(entries.map((e) => e.name));
  const code = entries.some((e) => e.name.startsWith(`${prefix}code/__torch__/`) && e.name.endsWith('.py'));
  const cls = top instanceof PickleCall && top.fn instanceof PickleGlobal ? top.fn.module : undefined;
  return code && names.has(`${prefix}constants.pkl`) && names.has(`${prefix}version`) && (cls === '__torch__' || cls?.startsWith('__torch__.') === true);
}

/** What the file holds, for Export and Optimize: TorchScript, a pickled module (its class's code runs on load), or weights. */
function torchKind(top: PickleValue, torchScript: boolean): TorchKind {
  if (torchScript) return 'torchscript';
  // Dicts (state dicts, checkpoints) and lone tensors are weights; an object of any other class is a module.
  if (entriesOf(top)) return 'weights';
  return top instanceof PickleCall && top.fn instanceof PickleGlobal && !top.fn.name.startsWith('_rebuild') ? 'pickled-module' : 'weights';
}

/** The format torch.save wrote before 1.6: magic, protocol, sys_info, the object, storage keys, storages. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Whether a file is a legacy torch.save file, from its first 16 bytes: its first pickle (15 bytes) is torch's magic number. */
export function isPytorchLegacy(head: Uint8Array): boolean {
  try {
    return scanPickle(head).value === LEGACY_MAGIC;
  } catch {
    return false;
  }
}

export function readPytorchLegacy(file: FileWindow): ModelInfo {
  const head = file.read(0, Math.min(file.size, MAX_PICKLE), 'the pickles');
  const magic = scanPickle(head);
  if (magic.value !== LEGACY_MAGIC) throw new ModelFormatError('a pickle, but not a PyTorch file (no torch.save magic number): pickles are never executed, so it is not read');
  const protocol = scanPickle(head, magic.end);
  const sysInfo = scanPickle(head, protocol.end);
  const main = scanPickle(head, sysInfo.end);
  const walk = new Walk(undefined);
  collect(main.value, '', walk);
  const facts = [
    { label: 'Format', value: 'legacy PyTorch file (torch.save before 1.6, or _use_new_zipfile_serialization=False)' },
    { label: 'Protocol', value: pickleText(protocol.value) },
    { label: 'Contents', value: describeTop(main.value) },
    { label: 'Storages', value: String(walk.storages.size) },
  ];
  return finish('pytorch', file, facts, main.value, walk, false);
}

function finish(format: 'pytorch', file: FileWindow, facts: { label: string; value: string }[], top: PickleValue, walk: Walk, torchScript: boolean): ModelInfo {
  const bytesByDtype = new Map<string, number>();
  for (const s of walk.storages.values()) countUp(bytesByDtype, s.dtype, s.bytes);
  const warnings: string[] = [];
  if (walk.classes.size > 0 && !torchScript) {
    warnings.push(`pickles Python classes (${[...walk.classes].slice(0, 5).join(', ')}): torch.load runs their code, and refuses the file with weights_only=True; save model.state_dict() to share weights`);
  }
  return {
    format,
    path: file.path,
    fileBytes: file.size,
    facts,
    tensorCount: walk.count,
    parameterCount: walk.parameters,
    bytesByDtype: Object.fromEntries(bytesByDtype),
    tensors: walk.tensors,
    metadata: topLevelScalars(top),
    torchKind: torchKind(top, torchScript),
    bytesRead: file.bytesRead,
    problems: walk.allProblems(),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function name(value: PickleValue): string | undefined {
  return value instanceof PickleGlobal ? value.name : undefined;
}

/** A tensor's name one key further down; module attribute slots are left out, as state_dict() does. */
function child(path: string, key: PickleValue): string {
  const text = pickleText(key);
  if (MODULE_SLOTS.has(text) || path.length >= MAX_PATH) return path;
  const part = shortText(text, 200);
  return path ? `${path}.${part}` : part;
}

/**
 * Walks the unpickled structure; every tensor record found is listed under the path of keys to it.
 * Containers are walked once (the memo shares them, so a 775-byte pickle can describe a graph of
 * 2^200 paths); a tensor record is listed under every name that reaches it (tied weights).
 */
function collect(value: PickleValue, path: string, walk: Walk, depth = 0): void {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (value instanceof PickleCall) {
    const fn = value.fn;
    if (fn instanceof PickleGlobal) {
      walk.pickledClass(fn.qualified);
      if (fn.name === '_rebuild_parameter' || fn.name === '_rebuild_parameter_with_state') return collect(value.args[0] ?? null, path, walk, depth + 1);
      if (/^_rebuild_(tensor(_v2)?|qtensor)$/.test(fn.name)) return tensor(value.args, path, walk);
    }
    if (walk.seen.has(value)) return;
    walk.seen.add(value);
    for (const arg of value.args) collect(arg, path, walk, depth + 1);
    for (const [k, v] of value.entries) if (walk.worthWalking(v)) collect(v, child(path, k), walk, depth + 1);
    value.items.forEach((v, i) => walk.worthWalking(v) && collect(v, child(path, i), walk, depth + 1));
    if (value.state !== null) collect(value.state, path, walk, depth + 1);
    return;
  }
  if (walk.seen.has(value)) return;
  walk.seen.add(value);
  // Names are made only for what is walked: a list of millions of numbers or seen objects costs no strings.
  if (value instanceof PickleDict) {
    for (const [k, v] of value.entries) if (walk.worthWalking(v)) collect(v, child(path, k), walk, depth + 1);
  } else if (value instanceof PickleTuple || Array.isArray(value)) {
    const items = value instanceof PickleTuple ? value.items : value;
    items.forEach((v, i) => walk.worthWalking(v) && collect(v, child(path, i), walk, depth + 1));
  } else if (value instanceof PickleGlobal) walk.pickledClass(value.qualified);
}

function tensor(args: PickleValue[], path: string, walk: Walk): void {
  const [storage, , size] = args;
  const id = storage instanceof PicklePid && storage.id instanceof PickleTuple ? storage.id.items : undefined;
  // ('storage', <StorageType>, key, location, numel[, view metadata])
  const type = id ? name(id[1] ?? null) : undefined;
  const dtypeInfo = type ? STORAGE_DTYPES.get(type) : undefined;
  const shape = size instanceof PickleTuple ? size.items.filter((d): d is number => typeof d === 'number') : [];
  walk.count++;
  if (!id || !dtypeInfo) {
    walk.problem(`${path || 'a tensor'}: its storage is not a known torch storage${type ? ` (${shortText(type, 100)})` : ''}`);
    return;
  }
  const key = shortText(pickleText(id[2] ?? null), 200);
  if (!walk.storages.has(key)) {
    const bytes = walk.storageBytes ? walk.storageBytes(key) : typeof id[4] === 'number' ? id[4] * dtypeInfo[1] : undefined;
    if (bytes === undefined) walk.problem(`${path}: storage ${key} is missing from the archive`);
    walk.storages.set(key, { dtype: dtypeInfo[0], bytes: bytes ?? 0 });
  }
  walk.parameters += elementCount(shape) ?? 0;
  if (walk.tensors.length < MAX_LISTED_TENSORS) walk.tensors.push({ name: path || `tensor ${walk.count}`, dtype: dtypeInfo[0], shape });
}

function entriesOf(value: PickleValue): [PickleValue, PickleValue][] | undefined {
  if (value instanceof PickleDict) return value.entries;
  if (value instanceof PickleCall && value.entries.length > 0) return value.entries;
  return undefined;
}

function describeTop(value: PickleValue): string {
  const entries = entriesOf(value);
  if (entries) {
    const keys = entries.map(([k]) => shortText(pickleText(k), 100));
    if (keys.includes('state_dict') && keys.some((k) => k.includes('lightning') || k === 'global_step')) return `a Lightning checkpoint (${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''})`;
    if (entries.every(([, v]) => v instanceof PickleCall && name(v.fn)?.startsWith('_rebuild'))) return `a state_dict of ${entries.length} tensors`;
    return `a dict: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}`;
  }
  if (value instanceof PickleCall && value.fn instanceof PickleGlobal) return `a pickled ${value.fn.qualified} object`;
  return 'a pickled value';
}

/** Numbers, strings and booleans at the top of a checkpoint dict (epoch, global_step, versions). */
function topLevelScalars(value: PickleValue): Record<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of entriesOf(value) ?? []) {
    if (out.size >= MAX_LISTED_ITEMS) break;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') out.set(shortText(pickleText(k), 200), shortText(String(v), 200));
  }
  return Object.fromEntries(out);
}
