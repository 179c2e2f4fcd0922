/**
 * The Python name under (or just before) the cursor in `line`, if it is a plain variable: `df` in
 * `df.head()` with the cursor anywhere on `df`; undefined on an attribute (`x.df`), a keyword or
 * a number. Python 3 identifiers may be non-ASCII.
 */
export function nameAtCursor(line: string, character: number): string | undefined {
  const isPart = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u.test(c);
  let start = Math.min(Math.max(0, character), line.length);
  let end = start;
  while (start > 0 && isPart(line[start - 1])) start--;
  while (end < line.length && isPart(line[end])) end++;
  const name = line.slice(start, end);
  if (!name || /^\p{Nd}/u.test(name) || PYTHON_KEYWORDS.has(name)) return undefined;
  // An attribute or a method is not a variable of the namespace.
  if (/\.\s*$/.test(line.slice(0, start))) return undefined;
  return name;
}

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
