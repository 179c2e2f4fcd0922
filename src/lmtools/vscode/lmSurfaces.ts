import type { FeatureApis, FeatureHost } from '../../activation/featureHost';
import { WorkspaceFiles } from '../../agent/tools/workspaceFiles';
import { ChatSessionFactory, workspaceRoots } from '../../chat/vscode/chatSessionFactory';
import type { EditorActions } from '../../chat/vscode/editorActions';
import { allFeatureTools } from '../../chat/vscode/featureTools';
import { vscodeNotebookCells } from '../../chat/vscode/notebookCells';
import { LanguageModelTools } from './languageModelTools';
import { mlParticipantHandler } from './mlParticipant';

/**
 * Copilot's side, in the chat feature's bundle (it shares the chat's session factory, editor
 * actions and notebook cells): our tools as language model tools and the @ml participant. The
 * stand-ins registered at activation (src/activation/languageModelStandIns.ts) load the chat
 * feature on the first tool call or @ml request and hand it over to these.
 */
export function languageModelSurfaces(host: FeatureHost, editor: EditorActions): FeatureApis['chat'] {
  const { context, log } = host;
  const tools = new LanguageModelTools(host, () => ({ files: new WorkspaceFiles(workspaceRoots()), applyChange: (change) => editor.applyChange(change), notebooks: vscodeNotebookCells }));
  // The same tools our chat gets, loaded on the first @ml request.
  const participant = mlParticipantHandler(new ChatSessionFactory(context.extensionPath, log, () => allFeatureTools(host, '@ml asked for its tools')), editor, log);
  return { lmTool: (name) => tools.tool(name), participant };
}
