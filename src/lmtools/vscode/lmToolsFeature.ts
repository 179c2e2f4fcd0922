import type { FeatureApis, FeatureHost } from '../../activation/featureHost';
import { WorkspaceFiles } from '../../agent/tools/workspaceFiles';
import { ChatSessionFactory, workspaceRoots } from '../../chat/vscode/chatSessionFactory';
import { EditorActions } from '../../chat/vscode/editorActions';
import { allFeatureTools } from '../../chat/vscode/featureTools';
import { vscodeNotebookCells } from '../../chat/vscode/notebookCells';
import { LanguageModelTools } from './languageModelTools';
import { mlParticipantHandler } from './mlParticipant';

/**
 * dist/features/lmtools.js (src/activation/): our tools as Copilot's language model tools and the
 * @ml participant of VS Code's Chat view. Loaded on the first tool call or @ml request; the
 * stand-ins registered at activation hand those over to this.
 */
export function activateFeature(host: FeatureHost): FeatureApis['lmtools'] {
  const { context, log } = host;
  const editor = new EditorActions(context.extensionPath);
  context.subscriptions.push(editor);
  const tools = new LanguageModelTools(host, () => ({ files: new WorkspaceFiles(workspaceRoots()), applyChange: (change) => editor.applyChange(change), notebooks: vscodeNotebookCells }));
  // The same tools the chat gets, loaded on the first @ml request.
  const participant = mlParticipantHandler(new ChatSessionFactory(context.extensionPath, log, () => allFeatureTools(host, '@ml asked for its tools')), editor, log);
  return { tool: (name) => tools.tool(name), participant };
}
