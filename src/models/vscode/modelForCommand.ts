import { basename } from 'node:path';
import type * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type * as ModelsCore from '../lazy/modelsCore';

/** The model a command acts on, inspected; a file that is not a model becomes a notification that says why. */
export function inspectForCommand(core: typeof ModelsCore, model: vscode.Uri): ReturnType<typeof ModelsCore.inspectModel> {
  try {
    return core.inspectModel(model.fsPath);
  } catch (error) {
    if (error instanceof core.ModelFormatError) throw new UserError(`${basename(model.fsPath)}: ${error.message}`);
    throw error;
  }
}
