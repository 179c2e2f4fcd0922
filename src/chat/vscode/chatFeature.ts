import * as vscode from 'vscode';
import type { FeatureApis, FeatureHost } from '../../activation/featureHost';
import type { Tool } from '../../agent/tools/tool';
import { registerApiKeyCommands } from '../../agent/vscode/apiKeyCommands';
import { COMMANDS, VIEWS } from '../../commandIds';
import { languageModelSurfaces } from '../../lmtools/vscode/lmSurfaces';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { ChatViewProvider } from './chatViewProvider';
import { EditorActions } from './editorActions';
import { allFeatureTools } from './featureTools';

/** dist/features/chat.js (src/activation/): the Chat view, its API key commands, and the agent behind it. */
export function activateFeature(host: FeatureHost): FeatureApis['chat'] {
  const { context, log, apiKeys } = host;
  registerApiKeyCommands(context, log, apiKeys);

  // Each feature's agent tools, added to every conversation's registry: the first conversation loads them.
  const featureTools = (): Tool[] => allFeatureTools(host, 'the chat asked for its tools');

  const editorActions = new EditorActions(context.extensionPath);
  const chat = new ChatViewProvider(context, apiKeys, editorActions, log, featureTools);
  context.subscriptions.push(editorActions, chat);
  host.chatView(chat);
  registerCommand(context, log, COMMANDS.openChat, () => vscode.commands.executeCommand(`${VIEWS.chat}.focus`));
  // Copilot's language model tools and the @ml participant (src/lmtools/vscode/), handed over by their stand-ins.
  return languageModelSurfaces(host, editorActions);
}
