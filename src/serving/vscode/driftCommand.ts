import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { SETTINGS } from '../../commandIds';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { sharedDataEngine } from '../../data/engine/engineClient';
import { driftLine, formatStat } from '../../monitoring/driftReport';
import { detectFileDrift } from '../../monitoring/driftScan';
import { rotatedLogFiles } from '../../monitoring/rotatedLog';
import { TEST_NAMES, type DriftOptions, type DriftTest } from '../../monitoring/driftTests';
import { statisticChoices } from '../../monitoring/statisticChoices';
import { kernelFrameFile, type KernelFrameFile } from '../../monitoring/kernelFrame';
import { driftPanel } from '../../monitoring/vscode/driftPanel';
import type { KernelTarget } from '../../kernels/kernelTools';
import { inspectKernel } from '../../kernels/kernelInspection';
import { REQUEST_LOG_FILE } from '../requestLogText';
import type { LocalServers } from './localServers';

// Compare Datasets for Drift…: a reference (the file right-clicked, or picked: a file or a DataFrame
// of the active notebook's kernel) and a current dataset (a file, a running server's request log, or
// a kernel DataFrame), scanned in the data engine (a DataFrame through a temporary file the kernel
// writes: kernelFrame.ts); the report opens in a panel (monitoring/vscode/driftPanel.ts: the verdict,
// the columns by drift with the engine's histograms, never the data) that exports Markdown and JSON.

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

/** A side as picked: a file's path, or a kernel variable's name. */
type Side = { readonly path: string } | { readonly variable: string };

const FRAME_TYPES = /^(pandas\.(DataFrame|Series)|polars\.DataFrame|numpy\.ndarray)$/;

/** A DataFrame of the active notebook's kernel, picked from its variables (or typed). */
async function pickVariable(kernel: KernelTarget, title: string): Promise<Side | undefined> {
  const inspection = await inspectKernel(kernel.connection);
  const frames = inspection.variables.filter((v) => FRAME_TYPES.test(v.type));
  if (frames.length === 0) {
    const name = await vscode.window.showInputBox({ title, prompt: `No DataFrame found in ${kernel.label}: the variable's name` });
    return name ? { variable: name.trim() } : undefined;
  }
  const pick = await vscode.window.showQuickPick(
    frames.map((v) => ({ label: v.name, description: `${v.type}${v.shape ? ` ${v.shape.map((d) => d ?? '?').join('×')}` : ''}` })),
    { title: `${title} (${kernel.label})` },
  );
  return pick ? { variable: pick.label } : undefined;
}

const sideName = (side: Side): string => ('path' in side ? basename(side.path) : side.variable);

/** A file name part from a side: its base name without the extension, or the variable's name. */
const stem = (side: Side): string => sideName(side).replace(/\.(csv|tsv|parquet|jsonl|ndjson|arrow|feather)(\.gz)?$/i, '').replace(/[^\w.-]+/g, '_');

export async function compareForDrift(arg: unknown, servers: LocalServers, activeKernel: () => Promise<KernelTarget>, context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  let reference: Side | undefined;
  if (arg instanceof vscode.Uri) reference = { path: arg.fsPath };
  else {
    const first = await vscode.window.showQuickPick([{ label: '$(file) A data file…', file: true }, { label: "$(variable) A DataFrame in the notebook's kernel…", file: false }], { title: 'Reference (training) data' });
    if (!first) return;
    if (first.file) {
      const uri = (await vscode.window.showOpenDialog({ title: 'Reference (training) data', filters: DATA_FILTERS }))?.[0];
      reference = uri ? { path: uri.fsPath } : undefined;
    } else reference = await pickVariable(await activeKernel(), 'Reference (training) DataFrame');
  }
  if (!reference) return;
  const logs = servers.all.map((e) => join(e.server.options.appDir, REQUEST_LOG_FILE)).filter((p) => existsSync(p));
  const picks: { label: string; description?: string; path?: string; kernel?: boolean }[] = [
    // Read with its rotated files (rotatedLog.ts): after a rotation the live file holds a few rows.
    ...logs.map((p) => ({ label: `$(server-process) ${basename(join(p, '..', '..'))} request log`, description: `${vscode.workspace.asRelativePath(p)}${((n) => (n > 1 ? ` and ${n - 1} rotated` : ''))(rotatedLogFiles(p).length)}`, path: p })),
    { label: '$(file) A data file…' },
    { label: "$(variable) A DataFrame in the notebook's kernel…", kernel: true },
  ];
  const pick = await vscode.window.showQuickPick(picks, { title: `Compare with ${sideName(reference)}: the current data` });
  if (!pick) return;
  const current: Side | undefined = pick.path
    ? { path: pick.path }
    : pick.kernel
      ? await pickVariable(await activeKernel(), 'Current DataFrame')
      : ((uri) => (uri ? { path: uri.fsPath } : undefined))((await vscode.window.showOpenDialog({ title: 'Current data', filters: DATA_FILTERS }))?.[0]);
  if (!current) return;
  const engine = sharedDataEngine();
  // No prototype: a column named `constructor` or `__proto__` is a key like any other.
  const columnTests = Object.create(null) as Record<string, DriftTest>;
  // Exports are named after the two inputs, beside the reference file (or the first workspace folder).
  const folder = 'path' in reference ? vscode.Uri.file(dirname(reference.path)) : vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `drift_${stem(current)}_vs_${stem(reference)}`;
  const report = driftPanel(context, (format) => (folder ? vscode.Uri.joinPath(folder, `${name}.${format === 'json' ? 'json' : 'md'}`) : undefined));
  for (;;) {
    const result = await withCancellableProgress(`Drift: ${sideName(current)} against ${sideName(reference)}`, async (signal) => {
      const frames: KernelFrameFile[] = [];
      const input = async (side: Side): Promise<string | KernelFrameFile> => {
        if ('path' in side) return side.path;
        const frame = await kernelFrameFile((await activeKernel()).connection, side.variable, signal);
        frames.push(frame);
        return frame;
      };
      try {
        return await detectFileDrift(engine, await input(reference), await input(current), { ...driftOptions(), columnTests, replaceUnfitTests: true }, signal);
      } finally {
        await Promise.all(frames.map((f) => f.dispose()));
      }
    });
    log.info(driftLine(result));
    for (const note of result.notes ?? []) log.warn(note);
    report.show(result);
    const action = await vscode.window.showInformationMessage(`${driftLine(result)}.`, "Change a Column's Statistic…");
    if (!action) return;
    // The report again with one column's statistic chosen here: any the engine computes that fits it.
    const column = await vscode.window.showQuickPick(
      result.columns.map((c) => ({ label: c.column, description: `${TEST_NAMES[c.test]} ${formatStat(c.value)}`, drift: c })),
      { title: 'The column whose statistic to change' },
    );
    if (!column) return;
    const choices = statisticChoices(column.drift, Object.hasOwn(columnTests, column.label), result.options);
    const test = await vscode.window.showQuickPick(
      choices.map((c) => ({ label: `${c.current ? '$(check)' : '$(blank)'} ${c.name}`, description: c.current ? 'current' : '', detail: c.description, choice: c })),
      { title: `The statistic for ${column.label}`, matchOnDetail: true },
    );
    if (!test) return;
    if (test.choice.test) columnTests[column.label] = test.choice.test;
    else delete columnTests[column.label];
  }
}
