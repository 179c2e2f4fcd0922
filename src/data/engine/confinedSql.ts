// The agent's and the CLI's SQL made safe to run over the workspace only. DuckDB's own guards
// (allowed_directories, enable_external_access=false) compare path TEXT, so a glob, a path built
// with || or chr(), or a symbolic link inside the workspace pointing out would pass them. Here the
// query is judged on DuckDB's own parse tree (json_serialize_sql: no tokenizer of ours to fool with
// E'' strings or comments), and only what can be proved safe is kept:
//   - table functions from an allowlist (file readers and generators: no read_text, glob, query…);
//   - a file reader's path is a literal string or a list of literals, never an expression;
//   - CTEs are scoped exactly as DuckDB 1.5 binds them (a CTE is visible in the CTEs after it in
//     its WITH, in itself only as a recursive CTE, and in the query's body and subqueries; names
//     compared ASCII-case-insensitively, as DuckDB does), and every CTE is renamed to a fresh name
//     with a per-query nonce (__cte_<nonce>_<n>) before the SQL is regenerated: a name the check
//     takes for a CTE is that CTE for DuckDB too, or no table at all, never a catalog view or a file;
//   - every other table name is a file (DuckDB's "replacement scan"): it becomes an explicit reader
//     call over the REAL path (fs.realpath), which must be a regular file inside a real workspace
//     root; a glob is expanded here, without following links, into the real paths it matches;
//   - function-call modifiers (ORDER BY, FILTER, DISTINCT inside a call) on table functions refused;
//   - the tree, with real paths in place, is turned back into SQL by DuckDB (json_deserialize_sql),
//     and that SQL is checked again: the text that runs names nothing but real workspace files and
//     the renamed CTEs.
import { randomBytes } from 'node:crypto';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isUserError } from '../../common/errors';
import { compileGlob, GlobRefused } from './confinedGlob';
import { listFolderFiles, type FolderFiles } from './folderFiles';

/** Table functions that read the files named by their first argument (checked like any path). */
const FILE_READERS = new Set([
  'read_csv',
  'read_csv_auto',
  'sniff_csv',
  'read_parquet',
  'parquet_scan',
  'parquet_metadata',
  'parquet_schema',
  'parquet_file_metadata',
  'parquet_kv_metadata',
  'read_json',
  'read_json_auto',
  'read_json_objects',
  'read_json_objects_auto',
  'read_ndjson',
  'read_ndjson_auto',
  'read_ndjson_objects',
]);
/** Readers that take key=value folder names on a path as columns (DuckDB detects it even for one file). */
const HIVE_READERS = new Set(['read_csv', 'read_csv_auto', 'sniff_csv', 'read_parquet', 'parquet_scan', 'read_json', 'read_json_auto', 'read_ndjson', 'read_ndjson_auto', 'read_json_objects', 'read_json_objects_auto', 'read_ndjson_objects']);
/** Table functions that read no files. */
const GENERATORS = new Set(['range', 'generate_series', 'unnest']);
/** File reader options that create tables or name other files. */
const REFUSED_OPTIONS = new Set(['store_rejects', 'rejects_table', 'rejects_scan', 'rejects_limit', 'encryption_config']);
/** The kinds of FROM items a SELECT may use; anything else (a new kind in a later DuckDB included) is refused. */
const TABLE_REFS = new Set(['BASE_TABLE', 'TABLE_FUNCTION', 'SUBQUERY', 'JOIN', 'EXPRESSION_LIST', 'EMPTY', 'EMPTY_FROM', 'PIVOT', 'SHOW_REF']);
/** Files one glob may expand to, and directory entries it may look at. */
const MAX_GLOB_FILES = 10_000;
const MAX_GLOB_ENTRIES = 200_000;
const GLOB = /[*?[\]{}]/;

export class ConfinementError extends Error {
  override readonly name = 'ConfinementError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** How confineTree checks paths: the real workspace roots, and whether a path may still be rewritten. */
export interface Confinement {
  /** Real (fs.realpath) absolute folders. Relative paths are tried against each in order. */
  readonly roots: readonly string[];
  /** Second pass over DuckDB's regenerated SQL: every path must already be a real workspace file. */
  readonly verifyOnly?: boolean;
  /**
   * The agent's query: a file with other hard links is refused (a link made inside the workspace to
   * a file outside would otherwise be read; realpath cannot tell which name is the original).
   */
  readonly oneLinkOnly?: boolean;
}

/** ASCII-lowercased CTE name -> the name it runs under (DuckDB folds identifiers' ASCII letters only). */
type Scope = ReadonlyMap<string, string>;

/** One pass over one statement: the confinement, and the fresh names given to CTEs. */
interface Pass {
  readonly c: Confinement;
  readonly nonce: string;
  ctes: number;
  /** RECURSIVE_CTE_NODEs met as a CTE's own query (the only place their self-reference is in scope). */
  readonly recursive: WeakSet<JsonObject>;
}

/** Scalar functions that read the engine's own settings or environment (its temp folder, allowed folders). */
const REFUSED_SCALARS = new Set(['current_setting', 'getenv']);
/** The kinds of query node; any other (CTE_NODE included) is refused. */
const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE']);
/** A renamed CTE, as the second pass expects every CTE to be. */
const RENAMED_CTE = /^__cte_[0-9a-f]{16}_\d+$/;
/** The fields of a function call; one that is not here (a modifier of a later DuckDB) is refused. */
const CALL_FIELDS = new Set(['class', 'type', 'alias', 'query_location', 'function_name', 'schema', 'catalog', 'children', 'filter', 'order_bys', 'distinct', 'is_operator', 'export_state']);

function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (char) => char.toLowerCase());
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks one parsed SELECT (an element of json_serialize_sql's `statements`) in place: CTEs renamed,
 * table names made reader calls, paths replaced by real paths, globs by the lists of files they
 * match; throws ConfinementError.
 */
export async function confineTree(statement: Json, confinement: Confinement): Promise<void> {
  await walk(statement, new Map(), { c: confinement, nonce: randomBytes(8).toString('hex'), ctes: 0, recursive: new WeakSet() });
}

async function walk(node: Json, scope: Scope, pass: Pass): Promise<void> {
  if (Array.isArray(node)) {
    for (const item of node) await walk(item, scope, pass);
    return;
  }
  if (!isObject(node)) return;
  if ('cte_map' in node) return walkQueryNode(node, scope, pass);
  if (node.class === 'FUNCTION' && typeof node.function_name === 'string' && REFUSED_SCALARS.has(asciiLower(node.function_name))) {
    throw new ConfinementError(`This query cannot call ${node.function_name}(): the engine's settings are not data to query.`);
  }
  if (isTableRef(node)) await checkTableRef(node, scope, pass);
  for (const [key, value] of Object.entries(node)) {
    // A table function's call was judged whole by checkTableRef (a generator's arguments are walked there).
    if (key === 'function' && node.type === 'TABLE_FUNCTION') continue;
    await walk(value, scope, pass);
  }
}

/**
 * A query node and its WITH, scoped as DuckDB binds them: each CTE's body sees the CTEs before it
 * (and itself when it is a recursive CTE, a RECURSIVE_CTE_NODE), the rest of the node sees them all.
 */
async function walkQueryNode(node: JsonObject, outer: Scope, pass: Pass): Promise<void> {
  const type = typeof node.type === 'string' ? node.type : '';
  if (!QUERY_NODES.has(type)) throw new ConfinementError(`This query cannot run a ${type.toLowerCase().replaceAll('_', ' ') || 'query of this kind'}.`);
  if (type === 'RECURSIVE_CTE_NODE' && !pass.recursive.has(node)) throw new ConfinementError('a recursive part of a query is taken only as the whole body of a WITH RECURSIVE CTE.');
  const cteMap = node.cte_map;
  if (!isObject(cteMap) || !Array.isArray(cteMap.map)) throw new ConfinementError('a WITH clause this check does not understand is refused.');
  let scope = outer;
  for (const entry of cteMap.map) {
    const value = isObject(entry) ? entry.value : undefined;
    if (!isObject(entry) || typeof entry.key !== 'string' || !isObject(value) || !isObject(value.query) || !isObject(value.query.node)) {
      throw new ConfinementError('a WITH clause this check does not understand is refused.');
    }
    const name = entry.key;
    if (pass.c.verifyOnly && !RENAMED_CTE.test(name)) throw new ConfinementError(`the CTE ${name} was not renamed before running (please report this).`);
    const runName = pass.c.verifyOnly ? name : `__cte_${pass.nonce}_${++pass.ctes}`;
    const body = value.query.node;
    let inner = scope;
    if (body.type === 'RECURSIVE_CTE_NODE') {
      if (typeof body.cte_name !== 'string' || asciiLower(body.cte_name) !== asciiLower(name)) throw new ConfinementError('a recursive CTE this check does not understand is refused.');
      pass.recursive.add(body);
      body.cte_name = runName;
      inner = new Map(scope).set(asciiLower(name), runName);
    }
    await walk(value, inner, pass);
    entry.key = runName;
    scope = new Map(scope).set(asciiLower(name), runName);
  }
  for (const [key, value] of Object.entries(node)) if (key !== 'cte_map') await walk(value, scope, pass);
}

/** FROM items carry `sample` (expressions never do); `class` is the expressions' own field. */
function isTableRef(node: JsonObject): boolean {
  return typeof node.type === 'string' && 'sample' in node && 'alias' in node && !('class' in node);
}

async function checkTableRef(ref: JsonObject, scope: Scope, pass: Pass): Promise<void> {
  const c = pass.c;
  const type = typeof ref.type === 'string' ? ref.type : '';
  if (!TABLE_REFS.has(type)) throw new ConfinementError(`This query cannot run a query reading from ${type.toLowerCase().replaceAll('_', ' ')}.`);
  if (type === 'SHOW_REF' && ref.table_name) throw new ConfinementError('DESCRIBE or SUMMARIZE a file by its path in a query: SUMMARIZE SELECT * FROM \'data.csv\'.');
  if (type === 'BASE_TABLE') return checkBaseTable(ref, scope, pass);
  if (type !== 'TABLE_FUNCTION') return;
  const fn = ref.function;
  if (!isObject(fn) || fn.class !== 'FUNCTION' || typeof fn.function_name !== 'string') throw new ConfinementError('a table function here must be called by name.');
  const name = fn.function_name.toLowerCase();
  if (fn.schema || fn.catalog) throw new ConfinementError(`This query cannot call ${fn.function_name} from another schema.`);
  checkCallModifiers(fn, fn.function_name);
  const args = Array.isArray(fn.children) ? fn.children : [];
  if (GENERATORS.has(name)) {
    await walk(args, scope, pass);
    return;
  }
  if (!FILE_READERS.has(name)) {
    throw new ConfinementError(`This query cannot call ${fn.function_name}(): only the file readers (read_csv, read_parquet, read_json, …) and range/generate_series/unnest run here.`);
  }
  const [first, ...options] = args;
  for (const option of options) checkOption(option, name);
  fn.children = [await pathArgument(first, name, c), ...(hiveAbove(c) && HIVE_READERS.has(name) ? [...options.filter((o) => optionKey(o) !== 'hive_partitioning'), booleanOption('hive_partitioning', false)] : options)];
}

/**
 * Whether a workspace root's own real path holds '=' (or '\\', which DuckDB also splits on): DuckDB's
 * hive partitioning reads key=value from the whole path, so a root under …/run=7/ would put the path
 * above the workspace into every read; hive_partitioning is then set false on every reader.
 */
function hiveAbove(c: Confinement): boolean {
  return c.roots.some((root) => /[=\\]/.test(root));
}

function optionKey(option: Json): string {
  const names = isObject(option) && isObject(option.left) ? option.left.column_names : undefined;
  return Array.isArray(names) && names.length === 1 && typeof names[0] === 'string' ? names[0].toLowerCase() : '';
}

/**
 * A table function called plainly: ORDER BY, FILTER or DISTINCT inside the call (aggregate
 * modifiers the parser accepts on any call) and any field this check does not know are refused;
 * the expressions they hold would otherwise run unchecked.
 */
function checkCallModifiers(fn: JsonObject, shown: string): void {
  const unknown = Object.keys(fn).find((key) => !CALL_FIELDS.has(key));
  const orders = isObject(fn.order_bys) ? fn.order_bys.orders : undefined;
  const modifier = unknown ?? (fn.filter !== null && fn.filter !== undefined ? 'FILTER' : Array.isArray(orders) && orders.length > 0 ? 'ORDER BY' : fn.order_bys !== undefined && !Array.isArray(orders) ? 'ORDER BY' : fn.distinct === true ? 'DISTINCT' : fn.export_state === true ? 'EXPORT_STATE' : fn.is_operator === true ? 'an operator' : undefined);
  if (modifier) throw new ConfinementError(`${shown}() cannot take ${modifier} inside its call here; give it its path and named options only.`);
}

/** A reader's path: a string literal or a list of them; each replaced by the real file(s). */
async function pathArgument(arg: Json | undefined, reader: string, c: Confinement): Promise<Json> {
  const literal = stringLiteral(arg);
  if (literal !== undefined) {
    const shards = await folderShards(literal, c);
    if (shards) return listOf(shards.shards.map((s) => s.path));
    const files = await realFiles(literal, c);
    return files.length === 1 && !GLOB.test(literal) ? setString(arg, files[0] ?? '') : listOf(files);
  }
  if (isObject(arg) && arg.class === 'FUNCTION' && arg.function_name === 'list_value' && Array.isArray(arg.children)) {
    const all: string[] = [];
    for (const child of arg.children) {
      const text = stringLiteral(child);
      if (text === undefined) throw new ConfinementError(`${reader}() takes file paths as string literals, not expressions.`);
      const shards = await folderShards(text, c);
      all.push(...(shards ? shards.shards.map((s) => s.path) : await realFiles(text, c)));
    }
    return listOf(all);
  }
  throw new ConfinementError(`${reader}() takes a file path as a string literal ('data/train.csv') or a list of them; a path built by an expression is refused.`);
}

/** A named option (`header = true`, `columns = {…}`): literal values only. */
function checkOption(option: Json, reader: string): void {
  if (!isObject(option) || option.type !== 'COMPARE_EQUAL' || !isObject(option.left) || option.left.class !== 'COLUMN_REF') {
    throw new ConfinementError(`${reader}() takes one path and named options (header = true); other arguments are refused.`);
  }
  const key = optionKey(option);
  if (!key || REFUSED_OPTIONS.has(key)) throw new ConfinementError(`${reader}()'s option ${key || '?'} is refused here.`);
  if (!isLiteral(option.right)) throw new ConfinementError(`${reader}()'s option ${key} must be a literal value.`);
}

/** Constants, casts of constants, and lists / structs of them. */
function isLiteral(node: Json | undefined): boolean {
  if (!isObject(node)) return false;
  if (node.class === 'CONSTANT') return true;
  if (node.class === 'CAST') return isLiteral(node.child);
  if (node.class === 'FUNCTION' && typeof node.function_name === 'string' && ['list_value', 'struct_pack', 'row'].includes(node.function_name) && Array.isArray(node.children)) return node.children.every((child) => isLiteral(child));
  return false;
}

async function checkBaseTable(ref: JsonObject, scope: Scope, pass: Pass): Promise<void> {
  const c = pass.c;
  const name = typeof ref.table_name === 'string' ? ref.table_name : '';
  const cte = !ref.schema_name && !ref.catalog_name && !ref.at_clause ? scope.get(asciiLower(name)) : undefined;
  if (cte !== undefined) {
    ref.table_name = cte;
    // Columns are still qualified by the name that was written (a.x).
    if (!ref.alias) ref.alias = name;
    return;
  }
  if (c.verifyOnly) throw new ConfinementError(`'${name}' is neither a CTE nor a reader call after the check (please report this).`);
  if (ref.schema_name || ref.catalog_name || ref.at_clause) throw new ConfinementError(`Only workspace files can be read: '${[ref.catalog_name, ref.schema_name, name].filter((part): part is string => typeof part === 'string' && part !== '').join('.')}' is not one (name a file as 'data/train.csv').`);
  // Not a CTE: DuckDB would read the name as a file (a "replacement scan", after its catalog: a
  // view such as pg_settings would win). It becomes the reader DuckDB would pick, over the real files.
  // A folder of shards ('data/train'): its files of one format, hive folders below it as columns, columns unioned by name.
  const shards = await folderShards(name, c);
  const reader = shards ? FOLDER_READERS[shards.format] : readerOf(name);
  const files = shards ? shards.shards.map((s) => s.path) : await realFiles(name, c);
  const alias = ref.alias || basename(name).replace(/\..*$/, '') || 'files';
  const one = files.length === 1 && !GLOB.test(name) && !shards;
  // hive_partitioning only where DuckDB reads the keys below the folder alone (no '=' above it: folderFiles.ts hiveSafe).
  const options = shards ? [booleanOption('union_by_name'), booleanOption('hive_partitioning', shards.hiveSafe && !hiveAbove(c)), ...(shards.format === 'tsv' ? [stringOption('delim', '\t')] : [])] : hiveAbove(c) ? [booleanOption('hive_partitioning', false)] : [];
  for (const key of Object.keys(ref)) if (!['alias', 'sample', 'query_location', 'column_name_alias'].includes(key)) delete ref[key];
  Object.assign(ref, {
    type: 'TABLE_FUNCTION',
    alias,
    function: { class: 'FUNCTION', type: 'FUNCTION', alias: '', query_location: ref.query_location ?? null, function_name: reader, schema: '', children: [one ? stringConstant(files[0] ?? '') : listOf(files), ...options], filter: null, order_bys: { type: 'ORDER_MODIFIER', orders: [] }, distinct: false, is_operator: false, export_state: false, catalog: '' },
    with_ordinality: 'WITHOUT_ORDINALITY',
  });
}

const FOLDER_READERS: Record<FolderFiles['format'], string> = { parquet: 'read_parquet', csv: 'read_csv_auto', tsv: 'read_csv_auto', jsonl: 'read_json_auto', arrow: 'read_parquet' };

/**
 * A folder named where a file would be: its data files (folderFiles.ts: the format most of them
 * have, no link followed), each checked as a file is; undefined when the path is not a folder.
 */
async function folderShards(text: string, c: Confinement): Promise<FolderFiles | undefined> {
  if (c.verifyOnly || GLOB.test(text) || text.includes('\0') || (/^[a-z][a-z0-9+.-]+:/i.test(text) && !/^[a-z]:[\\/]/i.test(text))) return undefined;
  const path = await candidate(text, c);
  if (!c.roots.some((root) => inside(path, root))) return undefined;
  const real = await realpath(path).catch(() => undefined);
  if (!real || !(await stat(real)).isDirectory()) return undefined;
  if (!c.roots.some((root) => inside(real, root))) throw new ConfinementError(`'${text}' leads outside the workspace through a symbolic link.`);
  try {
    return await listFolderFiles(real, async (file) => {
      await realFile(file, file, c);
    });
  } catch (error) {
    if (isUserError(error)) throw new ConfinementError(error.message);
    throw error;
  }
}

function booleanOption(name: string, value = true): Json {
  return optionNode(name, { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', query_location: null, value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value } });
}

function stringOption(name: string, value: string): Json {
  return optionNode(name, stringConstant(value));
}

function optionNode(name: string, right: Json): Json {
  return { class: 'COMPARISON', type: 'COMPARE_EQUAL', alias: '', query_location: null, left: { class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', query_location: null, column_names: [name] }, right };
}

/** The reader DuckDB's replacement scan picks for a file name (it reads no other extensions). */
function readerOf(name: string): string {
  const plain = name.replace(/\.(gz|zst)$/i, '');
  if (/\.parquet$/i.test(name)) return 'read_parquet';
  if (/\.(json|jsonl|ndjson)$/i.test(plain)) return 'read_json_auto';
  if (/\.(csv|tsv)$/i.test(plain)) return 'read_csv_auto';
  throw new ConfinementError(`Only workspace files can be read: '${name}' is not a CTE in scope here, and it cannot be read as a file by name (only .csv, .tsv, .parquet, .json, .jsonl and .ndjson are; call a reader for others, e.g. read_csv('${name.replaceAll("'", "''")}')).`);
}

function stringLiteral(node: Json | undefined): string | undefined {
  if (!isObject(node) || node.class !== 'CONSTANT' || !isObject(node.value)) return undefined;
  const type = node.value.type;
  if (!isObject(type) || type.id !== 'VARCHAR' || node.value.is_null) return undefined;
  return typeof node.value.value === 'string' ? node.value.value : undefined;
}

function setString(node: Json | undefined, text: string): Json {
  const copy = structuredClone(node) as JsonObject;
  (copy.value as JsonObject).value = text;
  return copy;
}

function stringConstant(text: string): Json {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', query_location: null, value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value: text } };
}

function listOf(paths: readonly string[]): Json {
  return {
    class: 'FUNCTION',
    type: 'FUNCTION',
    alias: '',
    query_location: null,
    function_name: 'list_value',
    schema: 'main',
    children: paths.map(stringConstant),
    filter: null,
    order_bys: { type: 'ORDER_MODIFIER', orders: [] },
    distinct: false,
    is_operator: false,
    export_state: false,
    catalog: '',
  };
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/** The real, regular files a path or a glob names, all inside a real root; throws otherwise. */
export async function realFiles(text: string, c: Confinement): Promise<string[]> {
  if (/^[a-z][a-z0-9+.-]+:/i.test(text) && !/^[a-z]:[\\/]/i.test(text)) throw new ConfinementError(`Only workspace files can be read; '${text}' is a URL.`);
  if (text.includes('\0')) throw new ConfinementError('a path holds a NUL character.');
  if (c.verifyOnly) {
    if (GLOB.test(text) || !isAbsolute(text)) throw new ConfinementError(`'${text}' was not resolved before running (please report this).`);
    const real = await realFile(text, text, c);
    if (real !== text) throw new ConfinementError(`'${text}' is not a real path (please report this).`);
    return [real];
  }
  const glob = text.search(GLOB);
  if (glob < 0) return [await realFile(await candidate(text, c), text, c)];
  return expandGlob(text, glob, c);
}

/** A relative path: in the first root that has it (or the first root, to name in the error). */
async function candidate(text: string, c: Confinement): Promise<string> {
  if (isAbsolute(text)) return resolve(text);
  const tries = c.roots.map((root) => resolve(root, text));
  for (const path of tries) if (await lstat(path).then(() => true, () => false)) return path;
  return tries[0] ?? text;
}

async function realFile(path: string, shown: string, c: Confinement): Promise<string> {
  if (!c.roots.some((root) => inside(path, root))) {
    throw new ConfinementError(`${shown} is outside the workspace; only files inside ${c.roots.join(', ')} can be read.`);
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new ConfinementError(`no file '${shown}' in the workspace (a table name that is not a CTE is read as a file path).`);
  }
  if (!c.roots.some((root) => inside(real, root))) throw new ConfinementError(`'${shown}' leads outside the workspace through a symbolic link.`);
  const info = await stat(real);
  if (info.isDirectory()) throw new ConfinementError(`'${shown}' is a folder, not a file; name the files (a pattern like 'data/*.csv' works).`);
  if (!info.isFile()) throw new ConfinementError(`'${shown}' is not a regular file (a pipe, socket or device) and cannot be read: only regular files are.`);
  if (c.oneLinkOnly && info.nlink > 1) throw new ConfinementError(`'${shown}' has other hard links; the agent reads only files with one link (a link can be made to a file outside the workspace).`);
  // DuckDB would take these characters in the real path as a pattern of its own.
  if (GLOB.test(real)) throw new ConfinementError(`'${shown}' cannot be read: its real path holds *, ?, [, ] or braces, which the engine takes as a pattern.`);
  return real;
}

/** The files a pattern matches, found by walking from its fixed folder without following folder links. */
async function expandGlob(text: string, at: number, c: Confinement): Promise<string[]> {
  const fixed = dirname(`${text.slice(0, at)}x`);
  const base = await candidate(fixed, c);
  if (!c.roots.some((root) => inside(base, root))) throw new ConfinementError(`${text} is outside the workspace; only files inside ${c.roots.join(', ')} can be read.`);
  let realBase: string;
  try {
    realBase = await realpath(base);
  } catch {
    throw new ConfinementError(`no folder '${fixed}' in the workspace for the pattern '${text}'.`);
  }
  if (!c.roots.some((root) => inside(realBase, root))) throw new ConfinementError(`'${text}' leads outside the workspace through a symbolic link.`);
  const pattern = relative(fixed, text).split(sep).join('/');
  let match: (path: string) => boolean;
  try {
    match = compileGlob(pattern);
  } catch (error) {
    if (error instanceof GlobRefused) throw new ConfinementError(`'${text}': ${error.message}`);
    throw error;
  }
  const depth = pattern.includes('**') ? Infinity : pattern.split('/').length;
  const found: string[] = [];
  let seen = 0;
  const queue: [string, string, number][] = [[realBase, '', 1]];
  while (queue.length > 0) {
    const [dir, rel, level] = queue.shift() ?? ['', '', 0];
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (++seen > MAX_GLOB_ENTRIES) throw new ConfinementError(`the pattern '${text}' looks at too many files; narrow it.`);
      const entryRel = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(dir, entry.name);
      // Folder links are not followed: a link out would otherwise be walked.
      if (entry.isDirectory() && level < depth) queue.push([full, entryRel, level + 1]);
      else if ((entry.isFile() || entry.isSymbolicLink()) && match(entryRel)) {
        found.push(await realFile(full, join(fixed, entryRel), c));
        if (found.length > MAX_GLOB_FILES) throw new ConfinementError(`the pattern '${text}' matches more than ${MAX_GLOB_FILES} files; narrow it.`);
      }
    }
  }
  if (found.length === 0) throw new ConfinementError(`no file in the workspace matches '${text}'.`);
  return [...new Set(found)].sort();
}

/** Runs one SQL text with one string bound to $1 and gives the first cell as text (the engine's connection). */
export type ScalarQuery = (sql: string, param: string) => Promise<string>;

interface Serialized {
  readonly error?: boolean;
  readonly error_message?: string;
  statements?: Json[];
}

async function parseOne(sql: string, scalar: ScalarQuery): Promise<Serialized & { statements: [Json] }> {
  const tree = JSON.parse(await scalar('SELECT json_serialize_sql($1::VARCHAR)', sql)) as Serialized;
  if (tree.error) {
    if (/Only SELECT statements/i.test(tree.error_message ?? '')) throw new ConfinementError('Read-only query: only SELECT statements run here');
    throw new ConfinementError(tree.error_message ?? 'the SQL could not be parsed');
  }
  const count = tree.statements?.length ?? 0;
  if (count !== 1) throw new ConfinementError(`Read-only query: give exactly one SELECT statement (found ${count})`);
  return tree as Serialized & { statements: [Json] };
}

/** Floating-point constants' types: DuckDB's deserializer takes 1e9 back only as 1000000000.0. */
const FLOAT_TYPES = new Set(['DOUBLE', 'FLOAT']);

/** The tree as JSON for json_deserialize_sql. */
function treeText(tree: Serialized): string {
  // A whole DOUBLE (1e9) comes out of JSON.stringify as 1000000000, which DuckDB refuses as a 'uint':
  // it is written as a marker (a fresh nonce, so no string of the query can be one) and then as 1000000000.0.
  const marker = `__double_${randomBytes(8).toString('hex')}_`;
  const json = JSON.stringify(tree, function (this: unknown, key, value: unknown) {
    // "No location" is 2^64-1, which JSON.parse rounded: any location that is not a safe integer becomes 0.
    if (key === 'query_location') return Number.isSafeInteger(value) ? value : 0;
    if (key === 'value' && typeof value === 'number' && Number.isInteger(value) && isObject(this as Json) && isObject((this as JsonObject).type)) {
      const type = (this as JsonObject).type as JsonObject;
      if (typeof type.id === 'string' && FLOAT_TYPES.has(type.id)) return `${marker}${value}`;
    }
    return value;
  });
  return json.replace(new RegExp(`"${marker}([-+.e0-9]+)"`, 'g'), (_match, number: string) => (/[.e]/.test(number) ? number : `${number}.0`));
}

/**
 * The SQL to run in place of `sql`: one SELECT over real workspace files only, regenerated by
 * DuckDB from the checked tree and checked again. Throws ConfinementError saying what was refused.
 */
export async function confineQuery(sql: string, roots: readonly string[], scalar: ScalarQuery, options: { readonly oneLinkOnly?: boolean } = {}): Promise<string> {
  const tree = await parseOne(sql, scalar);
  await confineTree(tree.statements[0], { roots, ...options });
  const json = treeText(tree);
  const rewritten = await scalar('SELECT json_deserialize_sql($1::JSON)', json);
  const again = await parseOne(rewritten, scalar);
  await confineTree(again.statements[0], { roots, ...options, verifyOnly: true });
  return rewritten;
}
