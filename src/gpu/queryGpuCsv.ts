/**
 * Parser for `nvidia-smi --query-gpu=... --format=csv` (with header; with or without `nounits`).
 *
 * nvidia-smi writes ", " between fields and never quotes them; the header names each field
 * with its unit in brackets (`memory.total [MiB]`), and values carry the unit unless
 * `nounits` is given (`16376 MiB`). Unavailable values are written many ways:
 * `[N/A]`, `N/A`, `[Not Supported]`, `[Requested functionality has been deprecated]`,
 * `[Function Not Found]`, or empty.
 */
export interface QueryGpuRow {
  /** Raw value by bare field name (`memory.total`), null where nvidia-smi had none. */
  readonly fields: ReadonlyMap<string, string | null>;
}

export class QueryGpuCsvError extends Error {
  override readonly name = 'QueryGpuCsvError';
}

export function parseQueryGpuCsv(text: string): QueryGpuRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines.shift();
  if (header === undefined) throw new QueryGpuCsvError('nvidia-smi printed no CSV header');
  const names = splitFields(header).map(fieldName);
  if (names.length === 0 || names.some((n) => n === '' || /\s/.test(n))) {
    throw new QueryGpuCsvError(`not a --query-gpu CSV header: ${header.slice(0, 80)}`);
  }
  return lines.map((line, i) => {
    const values = splitFields(line);
    if (values.length !== names.length) {
      throw new QueryGpuCsvError(`row ${i + 1} has ${values.length} fields, the header has ${names.length}`);
    }
    const fields = new Map<string, string | null>();
    names.forEach((name, j) => fields.set(name, normalizeValue(values[j] ?? '')));
    return { fields };
  });
}

/** `memory.total [MiB]` -> `memory.total` */
function fieldName(headerCell: string): string {
  return headerCell.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

function splitFields(line: string): string[] {
  return line.split(',').map((cell) => cell.trim());
}

function normalizeValue(raw: string): string | null {
  if (raw === '' || raw === 'N/A' || (raw.startsWith('[') && raw.endsWith(']'))) return null;
  return raw;
}

/** The numeric part of a value with or without its unit (`26.20 W`, `16376`, `0 %`); null if none. */
export function numericValue(row: QueryGpuRow, field: string): number | null {
  const raw = row.fields.get(field);
  if (raw === undefined || raw === null) return null;
  const match = /^(-?\d+(?:\.\d+)?)(?:\s*\S+)?$/.exec(raw);
  return match ? Number(match[1]) : null;
}

export function textValue(row: QueryGpuRow, field: string): string | null {
  return row.fields.get(field) ?? null;
}
