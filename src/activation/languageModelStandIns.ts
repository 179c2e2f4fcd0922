import vscode = require('vscode');
import { CHAT_PARTICIPANT } from '../commandIds';
import type { FeatureApis } from './featureHost';

/**
 * Stand-ins for Copilot's language model tools and the @ml participant, registered in activate()
 * (VS Code calls them as soon as activation ends, registered or not): the first call loads the
 * chat feature (it holds them: src/lmtools/vscode/) and hands the call on. Skipped where the editor has no such API (before
 * VS Code 1.95, some forks).
 */
export function registerLanguageModelStandIns(load: (reason: string) => FeatureApis['chat'], extension: vscode.Extension<unknown>): vscode.Disposable[] {
  const registered: vscode.Disposable[] = [];
  if (typeof vscode.lm?.registerTool === 'function') {
    // The names package.json contributes (a unit test holds them equal to src/lmtools/lmToolNames.ts):
    // read here so the activation bundle does not carry the list.
    const contributed = (extension.packageJSON as { contributes?: { languageModelTools?: { name?: unknown }[] } }).contributes?.languageModelTools ?? [];
    for (const { name: id } of contributed) {
      if (typeof id !== 'string') continue;
      registered.push(
        vscode.lm.registerTool<object>(id, {
          prepareInvocation: (options, token) => load(`Copilot prepared ${id}`).lmTool(id).prepareInvocation?.(options, token),
          invoke: (options, token) => load(`Copilot called ${id}`).lmTool(id).invoke(options, token),
        }),
      );
    }
  }
  if (typeof vscode.chat?.createChatParticipant === 'function') {
    const participant = vscode.chat.createChatParticipant(CHAT_PARTICIPANT, (request, context, stream, token) => load('@ml was asked').participant(request, context, stream, token));
    participant.iconPath = vscode.Uri.joinPath(extension.extensionUri, 'media', 'icon.png');
    registered.push(participant);
  }
  return registered;
}
