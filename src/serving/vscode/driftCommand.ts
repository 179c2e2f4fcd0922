import { basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { SETTINGS } from '../../commandIds';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { sharedDataEngine } from '../../data/engine/engineClient';
import { driftJson, driftLine, driftMarkdown } from '../../monitoring/driftReport';
import { detectFileDrift } from '../../monitoring/driftScan';
import type { DriftOptions } from '../../monitoring/driftTests';
import { REQUEST_LOG_FILE } from '../requestLogText';
import type { LocalServers } from './localServers';
import { openReport } from './reportPreview';

// Compare Datasets for Drift…: a reference (the file right-clicked, or picked) and a current dataset
// (a file, or a running server's request log), scanned in the data engine; the report opens as a
// Markdown preview (a few KB: 20-bin histograms, never the data), with Export JSON.

const DATA_FILTERS = { 'Data files': ['csv', 'tsv', 'gz', 'parquet', 'jsonl', 'ndjson', 'arrow', 'feather'] };

export function driftOptions(): DriftOptions {
  const c = vscode.workspace.getConfiguration(SETTINGS.drift);
  return {
    numericTest: c.get('numericTest', 'auto'),
    categoricalTest: c.get('categoricalTest', 'auto'),
    pValue: c.get('pValue', 0.05),
    distance: c.get('distance', 0.1),
    driftShare: c.get('driftShare', 0.5),
  };
}

export async function compareForDrift(arg: unknown, servers: LocalServers, context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  const reference = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({ title: 'Reference (training) data', filters: DATA_FILTERS }))?.[0];
  if (!reference) return;
  const logs = servers.all.map((e) => join(e.server.options.appDir, REQUEST_LOG_FILE)).filter((p) => existsSync(p));
  const picks: { label: string; description?: string; path?: string }[] = [
    ...logs.map((p) => ({ label: `$(server-process) ${basename(join(p, '..', '..'))} request log`, description: vscode.workspace.asRelativePath(p), path: p })),
    { label: '$(file) A data file…' },
  ];
  const pick = picks.length === 1 ? picks[0] : await vscode.window.showQuickPick(picks, { title: `Compare with ${basename(reference.fsPath)}: the current data` });
  if (!pick) return;
  const current = pick.path ?? (await vscode.window.showOpenDialog({ title: 'Current data', filters: DATA_FILTERS }))?.[0]?.fsPath;
  if (!current) return;
  const engine = sharedDataEngine();
  const result = await withCancellableProgress(`Drift: ${basename(current)} against ${basename(reference.fsPath)}`, (signal) =>
    detectFileDrift(engine, reference.fsPath, current, driftOptions(), signal),
  );
  const markdown = driftMarkdown(result);
  log.info(driftLine(result));
  await openReport(context, 'drift', markdown);
  const action = await vscode.window.showInformationMessage(`${driftLine(result)}.`, 'Export JSON', 'Export Markdown');
  if (!action) return;
  const json = action === 'Export JSON';
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(reference, '..', `drift_report.${json ? 'json' : 'md'}`), filters: json ? { JSON: ['json'] } : { Markdown: ['md'] } });
  if (target) await vscode.workspace.fs.writeFile(target, Buffer.from(json ? driftJson(result) : markdown));
}
