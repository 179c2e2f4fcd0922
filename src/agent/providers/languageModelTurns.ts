import type { MessagesRequest } from './modelProvider';
import { blockAsText, IMAGE_LEFT_OUT, toolResultParts } from './contentText';

/** A message part as VS Code's Language Model API has them (the adapter makes the vscode classes). */
export type TurnPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'toolCall'; readonly callId: string; readonly name: string; readonly input: object }
  | { readonly kind: 'toolResult'; readonly callId: string; readonly text: string };

export interface Turn {
  readonly role: 'user' | 'assistant';
  readonly parts: TurnPart[];
}

/**
 * A Messages API request as Language Model API turns. The API (1.95) has no system role, so the
 * system prompt is the first user turn, marked as instructions; tool results go in a user turn as
 * LanguageModelToolResultPart, calls in the assistant's as LanguageModelToolCallPart. Images have
 * no part in 1.95 (LanguageModelDataPart came later, proposed): a sentence says one was left out.
 */
export function languageModelTurns(request: MessagesRequest): Turn[] {
  const turns: Turn[] = [];
  const system = request.system.map((b) => b.text).join('\n\n');
  if (system) turns.push({ role: 'user', parts: [{ kind: 'text', text: `<instructions>\n${system}\n</instructions>` }] });
  for (const message of request.messages) {
    const parts: TurnPart[] = [];
    for (const block of message.content) {
      if (block.type === 'tool_use') parts.push({ kind: 'toolCall', callId: block.id, name: block.name, input: (block.input ?? {}) });
      else if (block.type === 'tool_result') {
        const { text, images } = toolResultParts(block);
        parts.push({ kind: 'toolResult', callId: block.tool_use_id, text: [text || '(no output)', ...images.map(() => IMAGE_LEFT_OUT)].join('\n') });
      } else {
        const text = blockAsText(block);
        if (text) parts.push({ kind: 'text', text });
      }
    }
    if (parts.length > 0) turns.push({ role: message.role, parts });
  }
  return turns;
}

/** All the text of a request, for the model's token counter (the API reports no usage). */
export function turnsText(turns: readonly Turn[]): string {
  return turns.map((t) => t.parts.map((p) => (p.kind === 'toolCall' ? `${p.name} ${JSON.stringify(p.input)}` : p.text)).join('\n')).join('\n\n');
}
