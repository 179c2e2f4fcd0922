import * as vscode from 'vscode';
import { UserError } from '../errors';

/**
 * Commands that run the user's Python or write files refuse in Restricted Mode. Their menus say
 * `isWorkspaceTrusted`; this is for a keybinding or another extension that runs them anyway.
 */
export function requireTrust(doing: string): void {
  if (vscode.workspace.isTrusted) return;
  throw new UserError(`${doing}. In Restricted Mode ML Engineer only reads files: trust this workspace to use it.`, { actions: [{ label: 'Manage Workspace Trust', command: 'workbench.trust.manage' }] });
}
