// Data files written by the tools that write them in the wild: DuckDB's own writer (Parquet with
// each codec, nested and dictionary-encoded columns, CSV, JSON lines) and pandas (Debian's
// python3-pandas: CSV with awkward quoting and dates). Tests read them back through our engine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export const PYTHON = '/usr/bin/python3';

export class DataFolder {
  readonly dir = mkdtempSync(join(tmpdir(), 'ml-engineer-data-'));
  private connection: Promise<DuckDBConnection> | undefined;

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Runs SQL in a DuckDB of the test's own (not the engine under test): COPY … TO writes files. */
  async duckdb(sql: string): Promise<void> {
    this.connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
    await (await this.connection).run(sql);
  }

  /** Rows DuckDB itself reads from a query, as plain JSON values. */
  async duckdbRows(sql: string): Promise<unknown[][]> {
    this.connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
    const reader = await (await this.connection).runAndReadAll(sql);
    return reader.getRows().map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v === null || typeof v !== 'object' ? v : String(v))));
  }

  /** Runs Python (Debian's, with pandas) with the folder as its working directory; returns stdout. */
  python(code: string): string {
    const result = spawnSync(PYTHON, ['-c', code], { cwd: this.dir, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  }

  close(): void {
    this.connection?.then((c) => c.closeSync()).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SQL string literal for a test path (tests' own temp paths only). */
export function lit(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
