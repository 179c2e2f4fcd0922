import { SOURCE_NAMES, type MetricSummary, type RunRecord, type RunStatus } from './runModel';
import { ownValue } from './ownProps';

// The run filter people type in the Experiments view, the runs table, `ml-engineer runs --filter`
// and the agent's list_runs: words, comparisons and status terms, all of which must hold.
//
//   adam                     a word in the name, id, experiment, source, params (k=v) or tags
//   "two words"              a phrase
//   val_loss<0.4             the metric's last value (a param or tag of that name otherwise)
//   min(val_loss)<=0.3       the lowest (max(): highest) value the metric reached
//   lr>=1e-3  model=mlp      params: numbers compared as numbers, other text as text (any case)
//   metrics.x / params.x / tags.x   say which one a name means; quote names with spaces
//   val_loss=nan             runs that diverged (nan, inf and -inf are numbers here)
//   status:failed,running    status=killed  status!=finished
//
// Operators: < <= > >= = == !=. A run without the named value never matches a comparison (as in
// SQL, `!=` included). Text that cannot be read is a RunQueryError naming the column, never a
// filter that silently shows no runs.

export type CompareOp = '<' | '<=' | '>' | '>=' | '=' | '!=';
export type FieldScope = 'any' | 'metric' | 'param' | 'tag';
export type MetricAggregate = 'last' | 'min' | 'max';

export interface QueryValue {
  readonly text: string;
  /** Set when the text reads as a number (decimal, exponent, nan, inf). */
  readonly number?: number;
}

export type QueryTerm =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'compare'; readonly scope: FieldScope; readonly name: string; readonly aggregate: MetricAggregate; readonly op: CompareOp; readonly value: QueryValue; readonly source: string }
  | { readonly kind: 'status'; readonly statuses: readonly RunStatus[]; readonly negate: boolean };

export interface RunQuery {
  readonly terms: readonly QueryTerm[];
}

export class RunQueryError extends Error {
  constructor(
    readonly reason: string,
    /** 1-based column of the problem in the filter text. */
    readonly column: number,
  ) {
    super(`Cannot read the filter at column ${column}: ${reason}`);
    this.name = 'RunQueryError';
  }
}

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'scheduled', 'finished', 'failed', 'killed', 'unknown'];
const MAX_LENGTH = 2000;
const MAX_TERMS = 50;
const OPERATORS: readonly string[] = ['<=', '>=', '!=', '==', '<', '>', '='];
const QUOTES = new Set(['"', "'", '`']);
const AGGREGATES = new Set(['min', 'max', 'last']);
const SCOPES: Record<string, FieldScope> = { metrics: 'metric', metric: 'metric', params: 'param', param: 'param', tags: 'tag', tag: 'tag' };
/** Decimal numbers as Python and JavaScript write them; not hex, not empty, not "1_000". */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

type Token = { readonly type: 'text'; readonly value: string; readonly quoted: boolean; readonly at: number } | { readonly type: 'op'; readonly value: string; readonly at: number } | { readonly type: 'space' };

export function parseNumber(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (NUMBER.test(t)) return Number(t);
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return undefined;
}

function operatorAt(text: string, i: number): string | undefined {
  return OPERATORS.find((op) => text.startsWith(op, i));
}

/** Splits the text into words, quoted strings and operators (with or without spaces around them). */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      tokens.push({ type: 'space' });
      continue;
    }
    const op = operatorAt(text, i);
    if (op) {
      tokens.push({ type: 'op', value: op, at: i + 1 });
      i += op.length;
      continue;
    }
    if (QUOTES.has(c)) {
      const { value, end } = readQuoted(text, i);
      tokens.push({ type: 'text', value, quoted: true, at: i + 1 });
      i = end;
      continue;
    }
    const start = i;
    let value = '';
    while (i < text.length && !/\s/.test(text[i]!) && !operatorAt(text, i)) {
      // min(…), max(…), last(…): the name inside may hold spaces or operators, or be quoted.
      if (text[i] === '(' && AGGREGATES.has(value.toLowerCase())) {
        const close = readCall(text, i);
        value += `(${close.inner})`;
        i = close.end;
        continue;
      }
      // metrics."val loss": a prefix, then a quoted name.
      if (QUOTES.has(text[i]!) && value.endsWith('.')) {
        const quoted = readQuoted(text, i);
        value += quoted.value;
        i = quoted.end;
        continue;
      }
      value += text[i];
      i++;
    }
    tokens.push({ type: 'text', value, quoted: false, at: start + 1 });
  }
  return tokens;
}

/** A string in "…", '…' or `…`; a backslash keeps the next character as it is. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) value += text[++i];
    else if (c === quote) return { value, end: i + 1 };
    else value += c;
  }
  throw new RunQueryError(`the quote ${quote} is not closed`, start + 1);
}

function readCall(text: string, open: number): { inner: string; end: number } {
  let i = open + 1;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (QUOTES.has(text[i] ?? '')) {
    const quoted = readQuoted(text, i);
    let j = quoted.end;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (text[j] !== ')') throw new RunQueryError('expected ) after the quoted metric name', j + 1);
    return { inner: quoted.value, end: j + 1 };
  }
  const close = text.indexOf(')', open);
  if (close < 0) throw new RunQueryError('the ( is not closed', open + 1);
  return { inner: text.slice(open + 1, close).trim(), end: close + 1 };
}

/** Parses the filter text; throws RunQueryError (with the column) for text it cannot read. */
export function parseRunQuery(text: string): RunQuery {
  if (text.length > MAX_LENGTH) throw new RunQueryError(`the filter is longer than ${MAX_LENGTH} characters`, MAX_LENGTH + 1);
  const tokens = tokenize(text).filter((t): t is Exclude<Token, { type: 'space' }> => t.type !== 'space');
  const terms: QueryTerm[] = [];
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i]!;
    if (token.type === 'op') throw new RunQueryError(`"${token.value}" needs a name on its left, as in val_loss${token.value}0.4`, token.at);
    const op = tokens[i + 1];
    if (op?.type === 'op') {
      const value = tokens[i + 2];
      if (!value) throw new RunQueryError(`"${op.value}" needs a value on its right, as in ${token.value}${op.value}0.4`, op.at + op.value.length);
      if (value.type === 'op') throw new RunQueryError(`"${op.value}${value.value}" is not an operator (use <, <=, >, >=, =, !=)`, op.at);
      terms.push(comparison(token, op.value === '==' ? '=' : (op.value as CompareOp), value));
      i += 3;
    } else {
      terms.push(token.quoted ? { kind: 'word', text: token.value } : wordOrStatus(token));
      i += 1;
    }
    if (terms.length > MAX_TERMS) throw new RunQueryError(`more than ${MAX_TERMS} terms`, token.at);
  }
  return { terms: terms.filter((t) => t.kind !== 'word' || t.text !== '') };
}

function wordOrStatus(token: Extract<Token, { type: 'text' }>): QueryTerm {
  const match = /^status:(.*)$/i.exec(token.value);
  if (!match) return { kind: 'word', text: token.value };
  return { kind: 'status', statuses: statusList(match[1]!, token.at + 7), negate: false };
}

function statusList(text: string, column: number): RunStatus[] {
  const names = text.split(',').map((s) => s.trim().toLowerCase());
  if (names.some((s) => s === '')) throw new RunQueryError(`a status is missing: use one of ${RUN_STATUSES.join(', ')}`, column);
  const unknown = names.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (unknown !== undefined) throw new RunQueryError(`"${unknown.slice(0, 40)}" is not a status: use one of ${RUN_STATUSES.join(', ')}`, column);
  return names as RunStatus[];
}

function comparison(left: Extract<Token, { type: 'text' }>, op: CompareOp, right: Extract<Token, { type: 'text' }>): QueryTerm {
  const source = `${left.value}${op}${right.value}`;
  if (!left.quoted && left.value.toLowerCase() === 'status') {
    if (op !== '=' && op !== '!=') throw new RunQueryError('a status is compared with = or != (status=failed), or use status:failed,killed', left.at);
    return { kind: 'status', statuses: statusList(right.value, right.at), negate: op === '!=' };
  }
  let name = left.value;
  let scope: FieldScope = 'any';
  let aggregate: MetricAggregate = 'last';
  if (!left.quoted) {
    const call = /^(min|max|last)\((.*)\)$/is.exec(name);
    if (call) {
      aggregate = call[1]!.toLowerCase() as MetricAggregate;
      name = call[2]!;
      scope = 'metric';
      if (name === '') throw new RunQueryError(`${call[1]}() needs a metric name, as in ${call[1]}(val_loss)`, left.at);
    } else if (/^\w+\(/.test(name)) {
      throw new RunQueryError(`"${name.slice(0, name.indexOf('('))}(" is not known: use min(metric), max(metric) or last(metric)`, left.at);
    }
    const dot = name.indexOf('.');
    const prefix = dot > 0 ? ownValue(SCOPES, name.slice(0, dot).toLowerCase()) : undefined;
    if (prefix) {
      if (scope === 'metric' && prefix !== 'metric') throw new RunQueryError(`${aggregate}() takes a metric, not ${name}`, left.at);
      scope = prefix;
      name = name.slice(dot + 1);
      if (name === '') throw new RunQueryError(`a name is missing after "${left.value}"`, left.at);
    }
  }
  if (name === '') throw new RunQueryError('an empty name cannot be compared', left.at);
  const number = right.quoted ? undefined : parseNumber(right.value);
  if (scope === 'metric' && number === undefined) throw new RunQueryError(`a metric is compared with a number, not "${right.value.slice(0, 40)}"`, right.at);
  if (number !== undefined && Number.isNaN(number) && op !== '=' && op !== '!=') throw new RunQueryError('nan is only compared with = or != (val_loss=nan finds runs that diverged)', right.at);
  return { kind: 'compare', scope, name, aggregate, op, value: number === undefined ? { text: right.value } : { text: right.value, number }, source };
}

/** Where a run's metric summaries come from: by default the run's listing; callers may hold fuller ones (min and max read from history). */
export type MetricLookup = (run: RunRecord, key: string) => MetricSummary | undefined;

export const listedMetric: MetricLookup = (run, key) => run.metrics.find((m) => m.key === key);

/** Whether the run satisfies every term. */
export function matchesQuery(run: RunRecord, query: RunQuery, metric: MetricLookup = listedMetric): boolean {
  let haystack: string | undefined;
  const positive = query.terms.filter((t) => t.kind === 'status' && !t.negate);
  if (positive.length > 0 && !positive.some((t) => t.kind === 'status' && t.statuses.includes(run.status))) return false;
  for (const term of query.terms) {
    switch (term.kind) {
      case 'word':
        haystack ??= searchText(run);
        if (!haystack.includes(term.text.toLowerCase())) return false;
        break;
      case 'status':
        if (term.negate && term.statuses.includes(run.status)) return false;
        break;
      case 'compare':
        if (!compareField(run, term, metric)) return false;
        break;
    }
  }
  return true;
}

function searchText(run: RunRecord): string {
  return [run.name, run.runId, run.experiment, SOURCE_NAMES[run.source], ...Object.entries(run.params).map(([k, v]) => `${k}=${v}`), ...Object.entries(run.tags).map(([k, v]) => `${k}=${v}`)].join('\n').toLowerCase();
}

type Found = { readonly kind: 'number'; readonly value: number } | { readonly kind: 'text'; readonly value: string } | undefined;

/** The value a comparison's name means for this run: a metric first, then a param, then a tag. */
export function fieldValue(run: RunRecord, term: Extract<QueryTerm, { kind: 'compare' }>, metric: MetricLookup = listedMetric): Found {
  if (term.scope === 'any' || term.scope === 'metric') {
    const m = metric(run, term.name);
    if (m) {
      const value = term.aggregate === 'last' ? m.last : term.aggregate === 'min' ? m.min : m.max;
      return value === undefined ? undefined : { kind: 'number', value };
    }
    if (term.scope === 'metric') return undefined;
  }
  if (term.scope === 'any' || term.scope === 'param') {
    const p = ownValue(run.params, term.name);
    if (p !== undefined) return { kind: 'text', value: p };
    if (term.scope === 'param') return undefined;
  }
  const t = ownValue(run.tags, term.name);
  return t === undefined ? undefined : { kind: 'text', value: t };
}

function compareField(run: RunRecord, term: Extract<QueryTerm, { kind: 'compare' }>, metric: MetricLookup): boolean {
  const found = fieldValue(run, term, metric);
  if (!found) return false;
  const left = found.kind === 'number' ? found.value : parseNumber(found.value);
  if (left !== undefined && term.value.number !== undefined) return compareNumbers(left, term.op, term.value.number);
  if (found.kind === 'number') return false; // a metric against text: never true
  return compareOrdered(found.value.toLowerCase(), term.op, term.value.text.toLowerCase());
}

function compareNumbers(a: number, op: CompareOp, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) {
    const same = Number.isNaN(a) && Number.isNaN(b);
    return op === '=' ? same : op === '!=' ? !same : false;
  }
  return compareOrdered(a, op, b);
}

function compareOrdered<T extends number | string>(a: T, op: CompareOp, b: T): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '=':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** Metric keys the query reads min() or max() of: callers whose listings lack them read history first. */
export function rangeMetrics(query: RunQuery): string[] {
  return [...new Set(query.terms.flatMap((t) => (t.kind === 'compare' && t.aggregate !== 'last' ? [t.name] : [])))];
}

/**
 * Why a filter shows fewer runs than a person may expect: names no run has (a typo, or a metric
 * of another source), min()/max() that some runs' listings lack. Empty when nothing stands out.
 */
export function queryNotes(runs: readonly RunRecord[], query: RunQuery, metric: MetricLookup = listedMetric): string[] {
  const notes: string[] = [];
  for (const term of query.terms) {
    if (term.kind !== 'compare') continue;
    const has = runs.filter((r) => fieldValue(r, { ...term, aggregate: 'last' }, metric) !== undefined);
    const what = term.scope === 'any' ? 'metric, param or tag' : term.scope;
    if (has.length === 0) notes.push(`no run has a ${what} named "${term.name}"`);
    else if (term.value.number === undefined && has.some((r) => fieldValue(r, term, metric)?.kind === 'number')) notes.push(`${term.name} is a metric: compare it with a number`);
    else if (term.aggregate !== 'last') {
      const unknown = has.filter((r) => fieldValue(r, term, metric) === undefined).length;
      if (unknown > 0) notes.push(`${term.aggregate}(${term.name}) is not known for ${unknown} run${unknown === 1 ? '' : 's'}`);
    }
  }
  return notes;
}
