import vscode = require('vscode');
import { COMMANDS, type CommandId } from '../../commandIds';
import { describeError, isAbortError, isUserError } from '../errors';
import type { Logger } from '../logger';

/**
 * Registers a command whose failures never escape into the extension host: a UserError
 * becomes a notification with its actions, anything else is logged and reported briefly.
 */
export function registerCommand(
  context: vscode.ExtensionContext,
  log: Logger,
  id: CommandId,
  handler: (...args: unknown[]) => unknown,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        await reportError(log, error, id);
        return undefined;
      }
    }),
  );
}

export async function reportError(log: Logger, error: unknown, during: string): Promise<void> {
  if (isAbortError(error)) {
    log.info(`${during}: cancelled`);
    return;
  }
  if (isUserError(error)) {
    log.warn(`${during}: ${error.message}`);
    const labels = error.actions.map((a) => a.label);
    const picked = await vscode.window.showErrorMessage(error.message, ...labels);
    const action = error.actions.find((a) => a.label === picked);
    if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
    return;
  }
  log.error(`${during} failed: ${describeError(error)}`);
  if (error instanceof Error && error.stack) log.debug(error.stack);
  const picked = await vscode.window.showErrorMessage(`ML Engineer: ${during} failed: ${describeError(error)}`, 'Show Log');
  if (picked) await vscode.commands.executeCommand(COMMANDS.showLog);
}
