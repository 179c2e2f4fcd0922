import * as vscode from 'vscode';
import { SETTINGS } from '../../commandIds';
import type { DataEngine } from '../engine/engineClient';
import { checkEngineSettings } from '../engine/engineSettings';

/** While a query runs the engine is not restarted: it is asked again this often. */
const BUSY_RETRY_MS = 2000;

/**
 * Gives the shared engine the mlEngineer.data.* settings now and on every change. A change ends
 * the engine's process once no query runs (the next query starts one with the new settings and
 * rebuilds the tables it needs) rather than only for datasets opened later: one process serves
 * every open dataset, so "newly opened" ones would not get them. Bad values are warned about.
 */
export function applyEngineSettings(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, engine: DataEngine): void {
  let retry: NodeJS.Timeout | undefined;
  const apply = (changed: boolean): void => {
    clearInterval(retry);
    retry = undefined;
    const config = vscode.workspace.getConfiguration(SETTINGS.data);
    const { options, warnings } = checkEngineSettings({ memoryLimitMb: config.get('memoryLimitMb'), threads: config.get('threads'), spillFolder: config.get('spillFolder') });
    for (const warning of warnings) {
      log.warn(warning);
      void vscode.window.showWarningMessage(warning);
    }
    const restarted = (): void => {
      if (changed) void vscode.window.showInformationMessage('The data engine uses the new mlEngineer.data settings from its next query (open datasets rebuild their tables as needed).');
    };
    if (engine.reconfigure(options)) return restarted();
    log.info('data engine settings changed: the engine restarts once its running queries end');
    retry = setInterval(() => {
      if (!engine.reconfigure(options)) return;
      clearInterval(retry);
      retry = undefined;
      restarted();
    }, BUSY_RETRY_MS);
  };
  apply(false);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(SETTINGS.data) && apply(true)),
    { dispose: () => clearInterval(retry) },
  );
}
