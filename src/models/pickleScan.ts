import { ModelFormatError } from './fileWindow';

// A pickle read as data, never executed: globals stay names, calls stay (callable, args) records,
// persistent ids stay ids. Enough of the opcode set for what torch.save writes (protocol 2) and
// what Python writes by default (4, 5); anything else stops with the opcode named. Bounded in
// steps, objects built and memo size (a few kilobytes deflated can hold millions of opcodes), so a
// hostile pickle costs a fraction of a second and tens of megabytes, then says it is too complex.
// The values can share parts and contain themselves (memo GET, APPEND to a list inside itself):
// whoever walks them keeps a visited set.

export class PickleGlobal {
  /** `module.name`, made once: walkers ask for it at every reference. */
  readonly qualified: string;
  constructor(
    readonly module: string,
    readonly name: string,
  ) {
    this.qualified = `${module}.${name}`;
  }
}

/** `callable(*args)` as written (REDUCE, NEWOBJ), with what BUILD / SETITEMS / APPENDS added to it. */
export class PickleCall {
  state: PickleValue = null;
  readonly entries: [PickleValue, PickleValue][] = [];
  readonly items: PickleValue[] = [];
  constructor(
    readonly fn: PickleValue,
    readonly args: PickleValue[],
  ) {}
}

export class PickleDict {
  readonly entries: [PickleValue, PickleValue][] = [];
}

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

export class PicklePid {
  constructor(readonly id: PickleValue) {}
}

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | PickleTuple | PickleDict | PickleGlobal | PickleCall | PicklePid;

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

export interface PickleScan {
  readonly value: PickleValue;
  /** Where the pickle's STOP was (the next pickle of a legacy torch file starts after it). */
  readonly end: number;
}

/** Largest pickle read as data (held whole; the tensors or arrays it describes are not). */
export const MAX_PICKLE = 256 * 1024 * 1024;

/** Opcodes run: a torch state dict runs tens per tensor, a scikit-learn forest thousands in all. */
export const MAX_PICKLE_STEPS = 10_000_000;
/** Objects built (containers, strings, calls): about 60 bytes each, so this is ~120 MB at most. */
export const MAX_PICKLE_OBJECTS = 2_000_000;
const MAX_MEMO = 2_000_000;
/** Values on the stack at once: pickle writes lists and dicts in batches of 1,000, so real stacks stay small. */
const MAX_STACK = 100_000;
/** Longest module or class name of a global: Python's are tens of characters. */
const MAX_GLOBAL_NAME = 1000;

/** Steps run and objects built, shared by the pickles of one file (joblib nests a pickle per object array). */
export class PickleBudget {
  steps = 0;
  objects = 0;
}

export interface PickleScanOptions {
  readonly budget?: PickleBudget;
  /**
   * Called after each BUILD of a call record, with the position after it: may replace the record
   * (its value) and move past bytes that follow it outside the pickle (joblib writes arrays so).
   */
  readonly afterBuild?: (built: PickleCall, at: number) => { value: PickleValue; end: number } | undefined;
}

export function scanPickle(data: Uint8Array, start = 0, options: PickleScanOptions = {}): PickleScan {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder();
  let p = start;
  const need = (n: number): void => {
    if (p + n > data.length) throw new ModelFormatError(`the pickle is cut short at byte ${p}`);
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new ModelFormatError(`the pickle pops an empty stack at byte ${p}`);
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new ModelFormatError(`the pickle has nothing on its stack at byte ${p}`);
    return v;
  };
  const popMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new ModelFormatError(`the pickle has no mark at byte ${p}`);
    const items = stack.splice(at + 1) as PickleValue[];
    stack.pop();
    return items;
  };
  const budget = options.budget ?? new PickleBudget();
  const stackCap = (): never => {
    throw new ModelFormatError(`the pickle's stack grows past ${MAX_STACK.toLocaleString('en-US')} values at byte ${p}: too complex to read as data`);
  };
  /** Pushes a value the pickle built (not one it fetched from the memo or duplicated): counted against the cap. */
  const built = (value: PickleValue): void => {
    if (++budget.objects > MAX_PICKLE_OBJECTS) throw new ModelFormatError(`the pickle builds more than ${MAX_PICKLE_OBJECTS.toLocaleString('en-US')} objects: too complex to read as data (a model's pickle builds thousands)`);
    stack.push(value);
  };
  const globalName = (text: string): string => {
    if (text.length > MAX_GLOBAL_NAME) throw new ModelFormatError(`the pickle names a global of ${text.length} characters at byte ${p}: not a pickle any library writes`);
    return text;
  };
  /** The text opcodes' numbers (protocol 0): what Python's repr writes, or an error saying what is there. */
  const integer = (text: string): number | bigint => {
    if (!/^[-+]?\d{1,4300}$/.test(text)) throw new ModelFormatError(`the pickle has "${text.slice(0, 40)}" for an integer at byte ${p}`);
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  };
  const float = (text: string): number => {
    const n = text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
    if (Number.isNaN(n) && text !== 'nan') throw new ModelFormatError(`the pickle has "${text.slice(0, 40)}" for a float at byte ${p}`);
    return n;
  };
  const memoKey = (text: string): number => {
    if (!/^\d{1,15}$/.test(text)) throw new ModelFormatError(`the pickle has "${text.slice(0, 40)}" for a memo key at byte ${p}`);
    return Number(text);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) throw new ModelFormatError(`the pickle is cut short at byte ${p}`);
    const text = latin1.decode(data.subarray(p, end));
    p = end + 1;
    return text;
  };
  /** The next 4 or 8 bytes as a little-endian unsigned integer (lengths, memo keys). */
  const nextU32 = (): number => {
    need(4);
    const n = view.getUint32(p, true);
    p += 4;
    return n;
  };
  const nextU64 = (): number => {
    need(8);
    const n = Number(view.getBigUint64(p, true));
    p += 8;
    return n;
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const out = data.subarray(p, p + n);
    p += n;
    return out;
  };
  const setItems = (target: PickleValue, pairs: PickleValue[]): void => {
    const entries = target instanceof PickleDict || target instanceof PickleCall ? target.entries : undefined;
    if (!entries) throw new ModelFormatError(`the pickle sets items on a ${describe(target)} at byte ${p}`);
    for (let i = 0; i + 1 < pairs.length; i += 2) entries.push([pairs[i]!, pairs[i + 1]!]);
  };
  const append = (target: PickleValue, values: PickleValue[]): void => {
    const into = Array.isArray(target) ? target : target instanceof PickleCall ? target.items : undefined;
    if (!into) throw new ModelFormatError(`the pickle appends to a ${describe(target)} at byte ${p}`);
    // One at a time: push(...values) overflows the stack past ~100,000 values.
    for (const v of values) into.push(v);
  };
  const remember = (key: number, value: PickleValue): void => {
    if (memo.size >= MAX_MEMO) throw new ModelFormatError('the pickle memo is larger than any model needs');
    memo.set(key, value);
  };
  while (++budget.steps <= MAX_PICKLE_STEPS) {
    if (p >= data.length) throw new ModelFormatError(`the pickle is cut short at byte ${p}`);
    if (stack.length > MAX_STACK) stackCap();
    const op = data[p++]!;
    switch (op) {
      case 0x80: // PROTO
        need(1);
        p++;
        break;
      case 0x95: // FRAME
        need(8);
        p += 8;
        break;
      case 0x2e: // STOP
        return { value: pop(), end: p };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x29: // EMPTY_TUPLE
        built(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        built(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        built(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        built(new PickleTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        built(new PickleTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        built([]);
        break;
      case 0x6c: // LIST
        built(popMark());
        break;
      case 0x7d: // EMPTY_DICT
        built(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const d = new PickleDict();
        setItems(d, popMark());
        built(d);
        break;
      }
      case 0x8f: // EMPTY_SET
        built([]);
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        built(popMark());
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const pairs = popMark();
        setItems(top(), pairs);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const target = top();
        if (Array.isArray(target)) target.push(v);
        else append(target, [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x4b: // BININT1
        need(1);
        stack.push(data[p++]!);
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(view.getUint16(p, true));
        p += 2;
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const n = op === 0x8a ? bytes(1)[0]! : (need(4), view.getInt32(p, true));
        if (op === 0x8b) p += 4;
        if (n < 0 || n > 4096) throw new ModelFormatError(`a pickle integer of ${n} bytes`);
        built(littleSigned(bytes(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x49: {
        // INT (text); I01/I00 are booleans
        const text = line();
        built(text === '01' ? true : text === '00' ? false : integer(text));
        break;
      }
      case 0x4c: // LONG (text)
        built(integer(line().replace(/L$/, '')));
        break;
      case 0x46: // FLOAT (text)
        built(float(line()));
        break;
      case 0x58: // BINUNICODE
        built(utf8.decode(bytes(nextU32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        need(1);
        built(utf8.decode(bytes(data[p++]!)));
        break;
      case 0x8d: // BINUNICODE8
        built(utf8.decode(bytes(nextU64())));
        break;
      case 0x55: // SHORT_BINSTRING
        need(1);
        built(latin1.decode(bytes(data[p++]!)));
        break;
      case 0x54: // BINSTRING
        built(latin1.decode(bytes(nextU32())));
        break;
      case 0x43: // SHORT_BINBYTES
        need(1);
        built(bytes(data[p++]!));
        break;
      case 0x42: // BINBYTES
        built(bytes(nextU32()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8 (protocol 5: numpy arrays)
        built(bytes(nextU64()));
        break;
      case 0x53: // STRING (text, quoted)
        built(line().replace(/^'(.*)'$|^"(.*)"$/, '$1$2'));
        break;
      case 0x56: // UNICODE (text)
        built(line());
        break;
      case 0x63: {
        // GLOBAL
        const module = globalName(line());
        built(new PickleGlobal(module, globalName(line())));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        built(new PickleGlobal(globalName(pickleText(module)), globalName(pickleText(name))));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        built(new PickleCall(fn, args instanceof PickleTuple ? args.items : [args]));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        built(new PickleCall(cls, args instanceof PickleTuple ? args.items : [args]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        built(new PickleCall(cls, args instanceof PickleTuple ? args.items : [args]));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (target instanceof PickleCall) {
          target.state = state;
          const replaced = options.afterBuild?.(target, p);
          if (replaced) {
            if (replaced.end < p || replaced.end > data.length) throw new ModelFormatError(`data after the object at byte ${p} runs past the end of the file`);
            stack[stack.length - 1] = replaced.value;
            p = replaced.end;
          }
        }
        break;
      }
      case 0x51: // BINPERSID
        built(new PicklePid(pop()));
        break;
      case 0x50: // PERSID
        built(new PicklePid(line()));
        break;
      case 0x71: // BINPUT
        need(1);
        remember(data[p++]!, top());
        break;
      case 0x72: // LONG_BINPUT
        remember(nextU32(), top());
        break;
      case 0x70: // PUT
        remember(memoKey(line()), top());
        break;
      case 0x94: // MEMOIZE
        remember(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        let key: number;
        if (op === 0x68) {
          need(1);
          key = data[p++]!;
        } else if (op === 0x6a) key = nextU32();
        else key = memoKey(line());
        if (!memo.has(key)) throw new ModelFormatError(`the pickle refers to memo ${key}, never stored`);
        stack.push(memo.get(key)!);
        break;
      }
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        throw new ModelFormatError(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not read`);
    }
  }
  throw new ModelFormatError(`the pickle runs more than ${MAX_PICKLE_STEPS.toLocaleString('en-US')} steps: too complex to read as data (a model's pickle runs thousands)`);
}

function littleSigned(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  // From hex in one step: shifting a BigInt byte by byte is quadratic in its length.
  let v = BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A key or name as text: dict keys are strings or numbers; anything else by its kind. */
export function pickleText(v: PickleValue): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return describe(v);
}

/** A value's kind in Python's words (never a class name of this reader). */
function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PickleTuple) return 'tuple';
  if (v instanceof PickleDict) return 'dict';
  if (v instanceof PickleGlobal) return v.qualified;
  if (v instanceof PicklePid) return 'persistent id';
  if (v instanceof PickleCall) return v.fn instanceof PickleGlobal ? `${v.fn.qualified} object` : 'object';
  return typeof v === 'bigint' ? 'int' : typeof v === 'number' ? 'float' : typeof v === 'boolean' ? 'bool' : 'str';
}
