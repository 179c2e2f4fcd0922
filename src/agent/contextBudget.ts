import type { ChatMessage } from './chatMessage';

/** A rough count (4 characters a token): enough to decide when to trim, never shown as exact. */
export function estimateTokens(messages: readonly ChatMessage[], system = ''): number {
  return Math.ceil((system.length + JSON.stringify(messages).length) / 4);
}

export const TRIMMED_MARK = '[Earlier tool output removed to keep the conversation within the context window.';

/**
 * Keeps the conversation under `budgetTokens` by replacing the oldest tool results with a
 * short note, oldest first, never touching the last `keepRecent` messages. Returns a new
 * array and how many results it trimmed; the caller summarises if that was not enough.
 */
export function trimOldToolResults(
  messages: readonly ChatMessage[],
  budgetTokens: number,
  system = '',
  keepRecent = 4,
): { messages: ChatMessage[]; trimmed: number; tokens: number } {
  const out = messages.map((m) => ({ ...m, content: [...m.content] }));
  let tokens = estimateTokens(out, system);
  let trimmed = 0;
  for (let i = 0; i < out.length - keepRecent && tokens > budgetTokens; i++) {
    const message = out[i]!;
    if (message.role !== 'user') continue;
    message.content = message.content.map((block) => {
      if (block.type !== 'tool_result' || tokens <= budgetTokens) return block;
      const size = JSON.stringify(block.content ?? '').length;
      if (size < 400) return block;
      trimmed++;
      const replacement = `${TRIMMED_MARK} It was ${size} characters; call the tool again if it is needed.]`;
      tokens -= Math.ceil((size - replacement.length) / 4);
      return { ...block, content: replacement };
    });
  }
  return { messages: out, trimmed, tokens: estimateTokens(out, system) };
}
