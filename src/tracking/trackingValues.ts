import { parse as parseYaml } from 'yaml';
import { asMapping, setOwn } from './ownProps';

// Values read from tracking files (hparams.yaml, W&B config and summary, MLflow meta.yaml) made
// safe to keep and show: nesting is bounded before a recursive parser or JSON.stringify sees it,
// names from a file are own properties (ownProps.ts), and failures say what is wrong in words.

/** Nesting deeper than this is refused: real configs nest a handful of levels; `yaml` overflows its stack near 900. */
export const MAX_NESTING = 100;
/** A param value longer than this is cut (MLflow's own limit is 6,000 characters). */
const MAX_VALUE_CHARS = 64 * 1024;
/** Params taken from one file at most. */
const MAX_PARAMS = 10_000;

export class TrackingValueError extends Error {
  override readonly name = 'TrackingValueError';
}

/**
 * The deepest nesting in YAML (or JSON) text, counted without parsing: flow brackets (over-counted
 * inside strings, which only makes a strange file refused) and block levels by indentation and
 * compact "- " / "? " entries. Linear in the text.
 */
export function nestingDepth(text: string): number {
  let flow = 0;
  let deepest = 0;
  const indents: number[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    let i = at;
    while (i < end && text.charCodeAt(i) === 32) i++;
    if (i < end && flow === 0 && text[i] !== '#') {
      const indent = i - at;
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      let compact = 0;
      while (i + 1 < end && (text[i] === '-' || text[i] === '?') && text[i + 1] === ' ') {
        compact++;
        i += 2;
        while (i < end && text.charCodeAt(i) === 32) i++;
      }
      deepest = Math.max(deepest, indents.length + compact);
    }
    for (let j = i; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c === 91 || c === 123) {
        if (++flow + indents.length > deepest) deepest = flow + indents.length;
      } else if ((c === 93 || c === 125) && flow > 0) flow--;
    }
    at = end + 1;
  }
  return deepest;
}

/** YAML from a tracking file, nesting checked first; PyYAML's `!!python/...` tags read as plain values. */
export function parseTrackingYaml(text: string): unknown {
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING) throw new TrackingValueError(`nested ${depth} levels deep (more than ${MAX_NESTING}): not read`);
  try {
    return parseYaml(text, { logLevel: 'error' }); // yaml's own cap of 100 alias expansions stops a YAML bomb
  } catch (error) {
    if (error instanceof RangeError || /call stack/i.test((error as Error).message)) throw new TrackingValueError('nested too deeply to read');
    if (error instanceof ReferenceError && /alias/i.test(error.message)) throw new TrackingValueError('too many aliases (a YAML bomb?): not read');
    throw error;
  }
}

/** JSON from a tracking file, nesting checked first: JSON.parse copes, but 1,000,000 levels cost it seconds and JSON.stringify overflows. */
export function parseTrackingJson(text: string): unknown {
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING) throw new TrackingValueError(`nested ${depth} levels deep (more than ${MAX_NESTING}): not read`);
  return JSON.parse(text) as unknown;
}

/** Whether `value` nests no deeper than `max` and holds at most `maxNodes` values: checked without recursion. */
function shallow(value: unknown, max: number, maxNodes: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > maxNodes) return false;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

/** A value as a param shows it: strings as they are, anything else as JSON, cut when long or deep. */
export function paramText(value: unknown): string {
  if (typeof value === 'string') return value.length > MAX_VALUE_CHARS ? `${value.slice(0, 1000)}… (cut: ${value.length} characters)` : value;
  if (value !== null && typeof value === 'object' && !shallow(value, MAX_NESTING, 100_000)) return '(nested too deeply or too large to show)';
  const text = JSON.stringify(value) ?? 'null';
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, 1000)}… (cut: ${text.length} characters)` : text;
}

/**
 * `{a: {b: 1}}` as `a.b = "1"`: hyperparameters are shown and compared flat. Bounded in depth and
 * in values visited, so YAML aliases that make a value contain itself end instead of recursing forever.
 */
export function flattenParams(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  let budget = MAX_PARAMS * 10;
  let kept = 0;
  const walk = (v: unknown, key: string, depth: number): void => {
    if (--budget < 0 || kept >= MAX_PARAMS) return;
    const mapping = asMapping(v);
    if (mapping && depth < MAX_NESTING) {
      for (const [k, child] of Object.entries(mapping)) walk(child, key ? `${key}.${k}` : k, depth + 1);
    } else if (key) {
      setOwn(out, key, paramText(v));
      kept++;
    }
  };
  walk(value, prefix, 0);
  return out;
}

/** Python's float repr, including `nan`, `inf`, `-inf`. */
export function parsePythonFloat(text: string): number | undefined {
  // The common case first: a number that starts with a digit and parses (no lower-casing, no trim).
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    const n = Number(text);
    if (!Number.isNaN(n)) return n;
  }
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}
