import * as vscode from 'vscode';
import type { AgentEvent } from '../../agent/agentEvents';
import type { ApprovalRequest } from '../../agent/agentSession';
import type { ChatMessage } from '../../agent/chatMessage';
import { readAgentSettings } from '../../agent/vscode/agentSettings';
import { ZERO_USAGE } from '../../agent/pricing';
import type { ChatSessionFactory } from '../../chat/vscode/chatSessionFactory';
import type { EditorActions } from '../../chat/vscode/editorActions';
import { describeError } from '../../common/errors';
import type { Logger } from '../../common/logger';

/**
 * The `@ml` participant in VS Code's Chat view: our agent (its system prompt, workspace facts and
 * tools) answering on the model the user picked there (request.model, through the Language Model
 * API provider), with the earlier @ml turns of the thread as history. Write and execute tools ask
 * in a modal dialog first (a participant has no inline confirmation of its own in 1.95).
 */
export function mlParticipantHandler(sessions: ChatSessionFactory, editor: EditorActions, log: Logger): vscode.ChatRequestHandler {
  return async (request, chatContext, stream, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    const shown: { error?: string } = {};
    try {
      const session = await sessions.create(
        { messages: historyOf(chatContext), totals: { usage: ZERO_USAGE, costUsd: 0, contextTokens: 0 } },
        { kind: 'vscode-lm', model: request.model },
        {
          emit: (event) => render(event, stream, shown),
          approve: (approval) => askInDialog(approval),
          applyChange: (change) => editor.applyChange(change),
          settings: () => ({ ...readAgentSettings(request.model.id), thinking: false }),
        },
      );
      const reason = await session.send(request.prompt, controller.signal);
      return { metadata: { reason }, ...(shown.error ? { errorDetails: { message: shown.error } } : {}) };
    } catch (error) {
      log.error(`@ml request failed: ${describeError(error)}`);
      return { errorDetails: { message: `ML Engineer could not answer: ${describeError(error)}` } };
    } finally {
      subscription.dispose();
    }
  };
}

/** The earlier turns of this thread with @ml, as text (tool calls of earlier turns are not kept by the Chat view). */
function historyOf(chatContext: vscode.ChatContext): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const turn of chatContext.history) {
    if (turn instanceof vscode.ChatRequestTurn) {
      if (turn.prompt) messages.push({ role: 'user', content: [{ type: 'text', text: turn.prompt }] });
    } else if (turn instanceof vscode.ChatResponseTurn) {
      const text = turn.response.map((part) => (part instanceof vscode.ChatResponseMarkdownPart ? part.value.value : '')).join('');
      // Roles must alternate: a failed answer leaves the user's turn alone, and the next one joins it.
      if (text && messages.at(-1)?.role === 'user') messages.push({ role: 'assistant', content: [{ type: 'text', text }] });
    }
  }
  if (messages.at(-1)?.role === 'user') messages.pop();
  return messages;
}

function render(event: AgentEvent, stream: vscode.ChatResponseStream, shown: { error?: string }): void {
  if (event.type === 'textDelta') stream.markdown(event.text);
  else if (event.type === 'toolCall') stream.progress(`${event.confirmation ?? event.name}…`);
  else if (event.type === 'toolStatus' && event.status === 'error' && event.summary) stream.markdown(`\n\n> ${event.summary.replace(/\n/g, ' ')}\n\n`);
  else if (event.type === 'notice') {
    if (event.level === 'error') shown.error = event.message;
    else stream.markdown(`\n\n> ${event.message}\n\n`);
  }
}

async function askInDialog(approval: ApprovalRequest): Promise<boolean> {
  const what = approval.tool.risk === 'execute' ? 'runs code on your machine' : 'changes files in your workspace';
  const detail = [`${approval.tool.name} ${what}.`, approval.change ? `File: ${approval.change.path}` : '', typeof (approval.input as { code?: unknown }).code === 'string' ? `Code:\n${(approval.input as { code: string }).code.slice(0, 2000)}` : '']
    .filter(Boolean)
    .join('\n\n');
  const answer = await vscode.window.showWarningMessage(`@ml: ${approval.confirmation}`, { modal: true, detail }, 'Allow');
  return answer === 'Allow';
}
