import vscode = require('vscode');
import { CHAT_PARTICIPANT } from '../commandIds';
import { LM_TOOLS, lmToolName } from '../lmtools/lmToolNames';
import type { FeatureApis } from './featureHost';

/**
 * Stand-ins for Copilot's language model tools and the @ml participant, registered in activate()
 * (VS Code calls them as soon as activation ends, registered or not): the first call loads the
 * chat feature (it holds them: src/lmtools/vscode/) and hands the call on. Skipped where the editor has no such API (before
 * VS Code 1.95, some forks).
 */
export function registerLanguageModelStandIns(load: (reason: string) => FeatureApis['chat'], extensionUri: vscode.Uri): vscode.Disposable[] {
  const registered: vscode.Disposable[] = [];
  if (typeof vscode.lm?.registerTool === 'function') {
    for (const { name } of LM_TOOLS) {
      const id = lmToolName(name);
      registered.push(
        vscode.lm.registerTool<object>(id, {
          prepareInvocation: (options, token) => load(`Copilot prepared ${name}`).lmTool(id).prepareInvocation?.(options, token),
          invoke: (options, token) => load(`Copilot called ${name}`).lmTool(id).invoke(options, token),
        }),
      );
    }
  }
  if (typeof vscode.chat?.createChatParticipant === 'function') {
    const participant = vscode.chat.createChatParticipant(CHAT_PARTICIPANT, (request, context, stream, token) => load('@ml was asked').participant(request, context, stream, token));
    participant.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    registered.push(participant);
  }
  return registered;
}
