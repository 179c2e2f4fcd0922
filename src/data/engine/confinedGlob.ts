// The glob patterns the agent's SQL may give a file reader ('data/*.csv', 'runs/**/metrics.parquet'),
// matched in time linear in the pattern times the path: picomatch compiles a pattern to a
// backtracking regular expression, and '*a' four times against a 255-character name took 2.6 s
// there (twelve '*?' against 34 characters: 27 s) on the engine's only JavaScript thread. Here
// '*' and '**' backtrack only to the last star (the classic wildcard algorithm), so no name
// stalls the engine. Syntax: '*', '?', '[a-z]' / '[!a-z]' classes within a name, '**' as a whole
// name for any number of folders, and {a,b} alternatives (not nested). As with picomatch's
// dot: false, a wildcard never matches a name's leading dot.

/** Wildcards ('*' or '**') one pattern may hold, and its length. */
export const MAX_GLOB_WILDCARDS = 8;
export const MAX_GLOB_CHARS = 1000;
/** Patterns the {a,b} alternatives of one glob may expand to. */
const MAX_ALTERNATIVES = 64;

type Token = { readonly kind: 'star' } | { readonly kind: 'one'; readonly test: (char: string) => boolean; readonly literal?: string };
type Segment = { readonly kind: 'globstar' } | { readonly kind: 'name'; readonly tokens: readonly Token[] };

/** A pattern the checker refuses, with why. */
export class GlobRefused extends Error {
  override readonly name = 'GlobRefused';
}

/** A matcher for '/'-separated relative paths; throws GlobRefused for a pattern over the limits. */
export function compileGlob(pattern: string): (path: string) => boolean {
  if (pattern.length > MAX_GLOB_CHARS) throw new GlobRefused(`the pattern is longer than ${MAX_GLOB_CHARS} characters; name the files or narrow it.`);
  const stars = pattern.match(/\*+/g)?.length ?? 0;
  if (stars > MAX_GLOB_WILDCARDS) throw new GlobRefused(`the pattern has ${stars} wildcards ('*' or '**'); at most ${MAX_GLOB_WILDCARDS} are taken.`);
  const compiled = alternatives(pattern).map((one) => one.split('/').map(segment));
  return (path) => {
    const names = path.split('/');
    return compiled.some((segments) => matchPath(segments, names));
  };
}

/** {a,b} alternatives expanded (one level); nested braces refused. */
function alternatives(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  const close = pattern.indexOf('}', open);
  if (close < 0) return [pattern];
  const inner = pattern.slice(open + 1, close);
  if (inner.includes('{')) throw new GlobRefused('nested {…} alternatives in a pattern are not taken; list the paths instead.');
  const out: string[] = [];
  for (const choice of inner.split(',')) {
    for (const rest of alternatives(pattern.slice(close + 1))) {
      out.push(pattern.slice(0, open) + choice + rest);
      if (out.length > MAX_ALTERNATIVES) throw new GlobRefused(`the pattern's {…} alternatives make more than ${MAX_ALTERNATIVES} patterns; narrow it.`);
    }
  }
  return out;
}

function segment(text: string): Segment {
  if (text === '**') return { kind: 'globstar' };
  const tokens: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (char === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?') tokens.push({ kind: 'one', test: () => true });
    else if (char === '[' && text.indexOf(']', i + 2) > 0) {
      const end = text.indexOf(']', i + 2);
      tokens.push({ kind: 'one', test: charClass(text.slice(i + 1, end)) });
      i = end;
    } else tokens.push({ kind: 'one', test: (c) => c === char, literal: char });
  }
  return { kind: 'name', tokens };
}

/** '[abc]', '[a-z]', '[!a-z]' / '[^a-z]' (the text between the brackets). */
function charClass(body: string): (char: string) => boolean {
  const negated = body.startsWith('!') || body.startsWith('^');
  const set = negated ? body.slice(1) : body;
  const ranges: [string, string][] = [];
  for (let i = 0; i < set.length; i++) {
    const from = set[i] ?? '';
    if (set[i + 1] === '-' && i + 2 < set.length) {
      ranges.push([from, set[i + 2] ?? '']);
      i += 2;
    } else ranges.push([from, from]);
  }
  return (char) => ranges.some(([low, high]) => char >= low && char <= high) !== negated;
}

/** One name against one name pattern: a star backtracks only to the last star, O(name × pattern). */
function matchName(tokens: readonly Token[], name: string): boolean {
  // A leading dot is matched only by a literal dot.
  if (name.startsWith('.') && (tokens[0]?.kind !== 'one' || tokens[0].literal !== '.')) return false;
  let t = 0;
  let i = 0;
  let starT = -1;
  let starI = 0;
  while (i < name.length) {
    const token = tokens[t];
    if (token?.kind === 'one' && token.test(name[i] ?? '')) {
      t++;
      i++;
    } else if (token?.kind === 'star') {
      starT = t++;
      starI = i;
    } else if (starT >= 0) {
      t = starT + 1;
      i = ++starI;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

/** The same algorithm one level up: '**' is the star, and never takes a name with a leading dot. */
function matchPath(segments: readonly Segment[], names: readonly string[]): boolean {
  let s = 0;
  let i = 0;
  let starS = -1;
  let starI = 0;
  while (i < names.length) {
    const seg = segments[s];
    const name = names[i] ?? '';
    if (seg?.kind === 'name' && matchName(seg.tokens, name)) {
      s++;
      i++;
    } else if (seg?.kind === 'globstar') {
      starS = s++;
      starI = i;
    } else if (starS >= 0 && !(names[starI] ?? '').startsWith('.')) {
      s = starS + 1;
      i = ++starI;
    } else return false;
  }
  while (segments[s]?.kind === 'globstar') s++;
  return s === segments.length;
}
