import { ModelFormatError } from './fileWindow';

// JSON headers of model files (safetensors, Keras config.json) are parsed only after one cheap pass
// over their bytes has checked their nesting depth and how many values they hold: JSON.parse of
// millions of nested brackets took a gigabyte and tens of seconds, and the objects it builds are
// the cost, so they are counted before any is built.

export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Most values (array items and object members, counted by their separators and openers). */
  readonly maxValues: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Throws a ModelFormatError naming `what` when `bytes` nest deeper or hold more values than `limits` allow. */
export function checkJsonShape(bytes: Uint8Array, what: string, limits: JsonLimits): void {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > limits.maxDepth) throw new ModelFormatError(`${what} nests arrays or objects more than ${limits.maxDepth} deep (at byte ${i}): not a header any library writes`);
      if (++values > limits.maxValues) throw tooMany(what, limits);
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
    else if (b === COMMA && ++values > limits.maxValues) throw tooMany(what, limits);
  }
}

function tooMany(what: string, limits: JsonLimits): ModelFormatError {
  return new ModelFormatError(`${what} holds more than ${limits.maxValues.toLocaleString('en-US')} values: too large to read`);
}

/** UTF-8 JSON from a file, its shape checked first (see above); syntax errors say where, as JSON.parse does. */
export function parseBoundedJson(bytes: Uint8Array, what: string, limits: JsonLimits): unknown {
  checkJsonShape(bytes, what, limits);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (error) {
    throw new ModelFormatError(`${what} is not valid UTF-8 JSON (${(error as Error).message})`);
  }
}
