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
 * Incoming traffic as a served churn model would be sent it after a price rise: churn.csv's first
 * 800 customers with monthly_charges 40% higher, in the form the model takes (what the training
 * script does: total_charges a number, plan's spelling normalised), without what is not known when
 * a customer is scored (days_since_cancellation, churned); written to data/incoming.csv of `ws`.
 */
export function writeIncoming(ws: string): void {
  const [header, ...rows] = readFileSync(join(ws, 'data', 'churn.csv'), 'utf8').trim().split(/\r?\n/);
  const names = header!.split(',');
  const at = (name: string): number => names.indexOf(name);
  const dropped = new Set([at('days_since_cancellation'), at('churned')]);
  const shifted = rows.slice(0, 800).map((row) => {
    const cells = row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/); // commas outside quotes: "$1,498.18" is one cell
    if (cells[at('monthly_charges')]) cells[at('monthly_charges')] = (Number(cells[at('monthly_charges')]) * 1.4).toFixed(2);
    const charges = cells[at('total_charges')]!.replace(/[^0-9.]/g, '');
    cells[at('total_charges')] = charges && Number.isFinite(Number(charges)) ? String(Number(charges)) : '';
    const plan = cells[at('plan')]!.trim().toLowerCase();
    cells[at('plan')] = plan === 'std' ? 'standard' : plan;
    return cells.filter((_, i) => !dropped.has(i)).join(',');
  });
  writeFileSync(join(ws, 'data', 'incoming.csv'), [names.filter((_, i) => !dropped.has(i)).join(','), ...shifted].join('\n') + '\n');
}
