// Where a damaged Parquet file went wrong. DuckDB reports a page header it cannot decode with the
// same Thrift error as a damaged footer ("don't know what type"), so a bad data page was blamed on
// the footer. The footer is decoded on its own (parquet_metadata): when it reads, the damage is in
// a data page, and the column and row group are found by reading one column at a time, then
// halving the rows (a file_row_number range skips the row groups outside it), within a time budget.
import { basename } from 'node:path';
import { isAbortError, UserError } from '../../common/errors';
import { EngineQueryError, type DataEngine } from './engineClient';
import { cleanEngineMessage, fileError } from './engineErrors';
import { quoteIdent } from './sqlText';

/** The search for the damaged page stops here and says only "a data page". */
const SEARCH_BUDGET_MS = 15_000;

const PAGE_DAMAGE = /don't know what type|deserializ|TProtocol|Thrift|corrupt|decompress/i;

/** A failure reading Parquet `path` as a UserError, a damaged data page told from a damaged footer. */
export async function parquetError(engine: DataEngine, error: unknown, path: string, signal: AbortSignal): Promise<unknown> {
  if (!(error instanceof EngineQueryError) || !PAGE_DAMAGE.test(error.message) || signal.aborted) return fileError(error, path);
  const deadline = Date.now() + SEARCH_BUDGET_MS;
  const ask = async (sql: string, rowsBelow?: number): Promise<(readonly unknown[])[] | undefined> => {
    const timeMs = deadline - Date.now();
    if (timeMs <= 0) throw new Error('out of time');
    try {
      return (await engine.query(sql, { params: rowsBelow === undefined ? [path] : [path, rowsBelow], maxRows: 100_000, timeMs }, signal)).rows as (readonly unknown[])[];
    } catch (e) {
      if (e instanceof EngineQueryError) return undefined;
      throw e;
    }
  };
  let where: string;
  try {
    const groups = await ask('SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata($1) GROUP BY 1 ORDER BY 1');
    if (!groups) return fileError(error, path); // The footer itself does not decode.
    where = (await damagedPage(ask, groups.map((g) => Number(g[1])))) ?? 'a data page (past the footer)';
  } catch (e) {
    if (isAbortError(e)) return e;
    where = 'a data page (past the footer)';
  }
  return new UserError(`${basename(path)} could not be read: ${where} is damaged; the footer (schema and row-group index) reads fine: ${cleanEngineMessage(error.message)}`, { cause: error });
}

/** Rows of a query on the file ($1; $2 = rowsBelow), or undefined when DuckDB fails it. */
type Ask = (sql: string, rowsBelow?: number) => Promise<(readonly unknown[])[] | undefined>;

/** "a data page of column x in row group 3 of 5 (rows 40961-61440)", or undefined when no single read fails. */
async function damagedPage(ask: Ask, groupRows: readonly number[]): Promise<string | undefined> {
  const described = await ask('DESCRIBE SELECT * FROM read_parquet($1)');
  for (const name of (described ?? []).map((r) => String(r[0]))) {
    // hash() makes DuckDB decode every value (min/max would come from the footer's statistics).
    if (await ask(`SELECT bit_xor(hash(${quoteIdent(name)})) FROM read_parquet($1)`)) continue;
    const starts = [0];
    for (const n of groupRows) starts.push((starts[starts.length - 1] ?? 0) + n);
    // The first row group whose prefix fails: prefixes of row groups [0, k) succeed below it.
    let lo = 0;
    let hi = groupRows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const ok = await ask(`SELECT bit_xor(hash(${quoteIdent(name)})) FROM read_parquet($1, file_row_number = true) WHERE file_row_number < $2`, starts[mid + 1] ?? 0);
      if (ok) lo = mid + 1;
      else hi = mid;
    }
    return `a data page of column ${name} in row group ${lo + 1} of ${groupRows.length} (rows ${(starts[lo] ?? 0) + 1}-${starts[lo + 1] ?? 0})`;
  }
  return undefined;
}
