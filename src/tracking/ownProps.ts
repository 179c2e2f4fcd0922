// Names read from files (params, tags, metric keys, statuses) used as object keys: never met by
// Object.prototype. A param named "__proto__" is kept and one named "constructor" is not a function.
// No dependencies, so the activation bundle (runQuery, the agent's tools) can use it.

/** `record[key] = value`, as an own property even when the key is "__proto__" (assignment would set the prototype). */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  // Plain assignment is an own data property for every other key (and several times faster).
  if (key !== '__proto__' && Object.hasOwn(record, key)) record[key] = value;
  else if (key !== '__proto__' && !(key in record)) record[key] = value;
  else Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `record[key]` only when the record itself has it: never Object.prototype's `constructor` or `toString`. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A plain object (a mapping), or undefined for anything else a file may hold there (a list, a number, null). */
export function asMapping(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
