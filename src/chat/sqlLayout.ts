// SQL laid out for reading in a tool card (query_dataset's): a query the model wrote on one line
// gets its clauses on lines of their own. Only whitespace between tokens changes, never inside a
// string, a quoted name or a comment, so the card shows the query that runs. No Node or DOM imports.

/** Clauses that start a line, matched at the top level of the query (not inside parentheses). */
const CLAUSE = /^(?:(?:LEFT|RIGHT|FULL|INNER|CROSS|SEMI|ANTI|POSITIONAL|ASOF|NATURAL)(?:\s+OUTER)?\s+JOIN|JOIN|FROM|WHERE|GROUP\s+BY|HAVING|QUALIFY|WINDOW|ORDER\s+BY|LIMIT|OFFSET|UNION(?:\s+ALL)?|EXCEPT|INTERSECT)\b/i;

/** Words a clause keyword continues (LEFT OUTER JOIN, IS DISTINCT FROM): no break after them. */
const JOINED = /\b(?:LEFT|RIGHT|FULL|INNER|CROSS|SEMI|ANTI|POSITIONAL|ASOF|NATURAL|OUTER|DISTINCT)$/i;

/**
 * `sql` with a line break before each top-level clause, when it is one line; as written when it
 * already has lines, or holds what this does not tokenize with certainty (backslash escapes, $
 * quoting, an unclosed quote or comment).
 */
export function layOutSql(sql: string): string {
  if (/[\n\\$]/.test(sql)) return sql;
  let out = '';
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      // Quotes inside are doubled ('it''s'), so the literal ends at the next lone quote.
      const end = sql.indexOf(ch, i + 1);
      if (end < 0) return sql;
      let stop = end;
      while (sql[stop + 1] === ch) {
        const next = sql.indexOf(ch, stop + 2);
        if (next < 0) return sql;
        stop = next;
      }
      out += sql.slice(i, stop + 1);
      i = stop + 1;
      continue;
    }
    // A line comment runs to the end of this one line: the rest is kept as it is.
    if (sql.startsWith('--', i)) return out + sql.slice(i);
    if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return sql;
      out += sql.slice(i, end + 2);
      i = end + 2;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    if (/\s/.test(ch)) {
      let j = i;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      const clause = depth === 0 && out.length > 0 && !JOINED.test(out) ? CLAUSE.exec(sql.slice(j)) : null;
      out += clause ? '\n' : sql.slice(i, j);
      i = j;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}
