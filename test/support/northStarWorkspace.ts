import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh copy of examples/ (the repository's sample workspace) with data/incoming.csv written. */
export function northStarWorkspace(prefix: string): string {
  const ws = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(__dirname, '..', '..', 'examples'), ws, { recursive: true });
  writeIncoming(ws);
  return ws;
}

/**
 * Incoming traffic as a served churn model would see it after a price rise: churn.csv's first 800
 * rows with monthly_charges 40% higher, written to data/incoming.csv of `ws`.
 */
export function writeIncoming(ws: string): void {
  const [header, ...rows] = readFileSync(join(ws, 'data', 'churn.csv'), 'utf8').trim().split('\n');
  const charges = header!.split(',').indexOf('monthly_charges');
  const shifted = rows.slice(0, 800).map((row) => {
    const cells = row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/); // commas outside quotes: "$1,498.18" is one cell
    if (cells[charges]) cells[charges] = (Number(cells[charges]) * 1.4).toFixed(2);
    return cells.join(',');
  });
  writeFileSync(join(ws, 'data', 'incoming.csv'), [header, ...shifted].join('\n') + '\n');
}
