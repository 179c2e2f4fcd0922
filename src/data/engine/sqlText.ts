// SQL text the engine builds: identifiers always quoted, values always bound to `$n` placeholders,
// so no column name or filter value from a file, a webview or a model ever becomes SQL.
import type { ColumnKind } from '../datasetSource';
import type { EngineParam } from './protocol';

/** A column or table name as a quoted identifier: `"a ""b"""`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Collects bound values and hands out their placeholders in order. */
export class SqlParams {
  readonly values: EngineParam[] = [];

  bind(value: EngineParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** What the viewer draws a DuckDB type as. */
export function kindOfType(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (t.endsWith('[]') || /\[\d+\]$/.test(t) || /^(STRUCT|MAP|UNION|LIST)\b/.test(t)) return 'nested';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|BIGNUM|VARINT)$/.test(t)) return 'integer';
  if (t === 'FLOAT' || t === 'DOUBLE') return 'float';
  if (t.startsWith('DECIMAL')) return 'decimal';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR' || t === 'UUID' || t.startsWith('ENUM') || t === 'JSON') return 'string';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t.startsWith('TIME')) return 'time';
  if (t === 'INTERVAL') return 'interval';
  if (t === 'BLOB' || t === 'BIT') return 'binary';
  return 'other';
}

/** A type name safe to write into a CAST: the engine's own names only (letters, digits, spaces, parentheses, commas). */
export function castableType(type: string): string | undefined {
  return /^[A-Z0-9_ (),]+$/i.test(type) ? type : undefined;
}
