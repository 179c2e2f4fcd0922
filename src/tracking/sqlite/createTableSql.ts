// The columns of a table from its CREATE TABLE statement in sqlite_schema, for SqliteFile's scans.
// A tokenizer, not regexes: the statement comes from the file, and the two regexes this replaced
// were quadratic on a hostile one (300,000 spaces: over a minute, now ~30 ms).

interface Token {
  readonly text: string;
  /** A quoted name or string: never a keyword or punctuation. */
  readonly quoted: boolean;
}

const PUNCTUATION = '(),;';
const WORD_END = ' \t\n\r\f\v(),;"\'`[';
const COLUMN_CONSTRAINT = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);
const TABLE_CONSTRAINT = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

/**
 * SQL text as words, quoted names/strings and punctuation, comments dropped: one pass, each
 * character looked at a bounded number of times (the regexes this replaces were quadratic on
 * long runs of spaces in a schema a file can hold).
 */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') i++;
    else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'" || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let text = '';
      let from = i + 1;
      for (;;) {
        const end = sql.indexOf(close, from);
        if (end < 0) {
          text += sql.slice(from);
          i = n;
          break;
        }
        text += sql.slice(from, end);
        // "" inside "…" (and '' inside '…', `` inside `…`) is one quote character
        if (close !== ']' && sql[end + 1] === close) {
          text += close;
          from = end + 2;
          continue;
        }
        i = end + 1;
        break;
      }
      tokens.push({ text, quoted: true });
    } else if (PUNCTUATION.includes(c)) {
      tokens.push({ text: c, quoted: false });
      i++;
    } else {
      const from = i;
      while (i < n && !WORD_END.includes(sql[i]!)) i++;
      tokens.push({ text: sql.slice(from, i), quoted: false });
    }
  }
  return tokens;
}

const isWord = (token: Token | undefined, word: string): boolean => token !== undefined && !token.quoted && token.text.toUpperCase() === word;

/** Column names (in order), the rowid alias and WITHOUT ROWID from a CREATE TABLE statement. */
export function parseCreateTable(sql: string): { columns: string[]; rowidColumn: number; withoutRowid: boolean } {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => !t.quoted && t.text === '(');
  if (open < 0) return { columns: [], rowidColumn: -1, withoutRowid: false };
  // Split the column list at its top-level commas.
  const definitions: Token[][] = [[]];
  let depth = 0;
  let close = tokens.length;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.quoted && t.text === '(') depth++;
    else if (!t.quoted && t.text === ')') {
      if (depth === 0) {
        close = i;
        break;
      }
      depth--;
    } else if (!t.quoted && t.text === ',' && depth === 0) {
      definitions.push([]);
      continue;
    }
    definitions.at(-1)!.push(t);
  }
  let withoutRowid = false;
  for (let i = close + 1; i + 1 < tokens.length; i++) if (isWord(tokens[i], 'WITHOUT') && isWord(tokens[i + 1], 'ROWID')) withoutRowid = true;
  const columns: string[] = [];
  const types: string[] = [];
  let rowidColumn = -1;
  let tablePk: string[] | undefined;
  for (const definition of definitions) {
    const first = definition[0];
    if (!first) continue;
    if (!first.quoted && TABLE_CONSTRAINT.has(first.text.toUpperCase())) {
      const pk = definition.findIndex((t, i) => isWord(t, 'PRIMARY') && isWord(definition[i + 1], 'KEY'));
      if (pk >= 0 && definition[pk + 2]?.text === '(' && !definition[pk + 2]!.quoted) {
        // PRIMARY KEY (a, b COLLATE x DESC): the first token of each comma-separated item
        tablePk = [];
        let expectName = true;
        for (const t of definition.slice(pk + 3)) {
          if (!t.quoted && t.text === ')') break;
          if (!t.quoted && t.text === ',') expectName = true;
          else if (expectName) {
            tablePk.push(t.text);
            expectName = false;
          }
        }
      }
      continue;
    }
    const typeWords: string[] = [];
    for (const t of definition.slice(1)) {
      if (t.quoted || PUNCTUATION.includes(t.text) || COLUMN_CONSTRAINT.has(t.text.toUpperCase())) break;
      typeWords.push(t.text.toUpperCase());
    }
    const type = typeWords.join(' ');
    const primaryKey = definition.some((t, i) => isWord(t, 'PRIMARY') && isWord(definition[i + 1], 'KEY'));
    // SQLite's quirk: INTEGER PRIMARY KEY DESC on the column is not an alias of the rowid.
    if (type === 'INTEGER' && primaryKey && !definition.some((t) => isWord(t, 'DESC'))) rowidColumn = columns.length;
    columns.push(first.text);
    types.push(type);
  }
  if (rowidColumn < 0 && tablePk?.length === 1) {
    const index = columns.findIndex((c) => c.toLowerCase() === tablePk[0]!.toLowerCase());
    if (index >= 0 && types[index] === 'INTEGER') rowidColumn = index;
  }
  return { columns, rowidColumn, withoutRowid };
}
