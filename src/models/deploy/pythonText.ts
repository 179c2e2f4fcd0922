// Small helpers for generated Python: names from a model's tensor names, and string literals.

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);

/** A valid Python identifier close to `name` ("input.1" → "input_1", "1x" → "_1x"); unique within `taken`. */
export function pythonIdentifier(name: string, taken: Set<string> = new Set()): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!id || /^[0-9]/.test(id)) id = `_${id}`;
  if (KEYWORDS.has(id)) id = `${id}_`;
  let unique = id;
  for (let n = 2; taken.has(unique); n++) unique = `${id}_${n}`;
  taken.add(unique);
  return unique;
}

/** A CamelCase class name from a model name ("simple_cnn" → "SimpleCnn"). */
export function pythonClassName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return /^[A-Za-z]/.test(joined) ? joined : `Model${joined}`;
}

/** A Python string literal (JSON's escapes are valid Python). */
export function pythonString(text: string): string {
  return JSON.stringify(text);
}
