// The quoted tokens of a SQL text ('…' strings and "…" names) that could name files, so a tool can
// check each against the workspace and give the engine absolute paths (the confined engine opens
// only absolute paths under the workspace folders). A tokenizer, not a parser: it skips comments,
// reads doubled quotes as one, and dollar-quoted strings ($$…$$, $tag$…$tag$).

export interface SqlToken {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly quote: "'" | '"' | '$';
}

export function sqlQuotedTokens(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (ch === '"' || ch === "'") {
      const start = i;
      let text = '';
      i++;
      while (i < sql.length) {
        if (sql[i] === ch && sql[i + 1] === ch) {
          text += ch;
          i += 2;
        } else if (sql[i] === ch) {
          i++;
          break;
        } else {
          text += sql[i];
          i++;
        }
      }
      out.push({ text, start, end: i, quote: ch });
    } else if (ch === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i, i + 40))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0] ?? '$$';
      const close = sql.indexOf(tag, i + tag.length);
      const end = close < 0 ? sql.length : close + tag.length;
      out.push({ text: sql.slice(i + tag.length, close < 0 ? sql.length : close), start: i, end, quote: '$' });
      i = end;
    } else {
      i++;
    }
  }
  return out;
}

/** A string that could be a path DuckDB opens: a separator, a file extension, a glob, a URL scheme. */
export function looksLikePath(text: string): boolean {
  return /[/\\]/.test(text) || /\.[A-Za-z][A-Za-z0-9]{0,9}(\.gz)?$/.test(text) || /[*?[]/.test(text) || /^[a-z][a-z0-9+.-]*:/i.test(text) || text === '..' || text === '.';
}

/** The SQL with each path-like token replaced by `replace(text)` (quoted again the same way), in order. */
export async function rewriteSqlPaths(sql: string, replace: (text: string, quote: SqlToken['quote']) => Promise<string>): Promise<string> {
  let out = '';
  let at = 0;
  for (const token of sqlQuotedTokens(sql)) {
    if (!looksLikePath(token.text)) continue;
    const path = await replace(token.text, token.quote);
    const q = token.quote === '"' ? '"' : "'";
    out += `${sql.slice(at, token.start)}${q}${path.replaceAll(q, q + q)}${q}`;
    at = token.end;
  }
  return out + sql.slice(at);
}
