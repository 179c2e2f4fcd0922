import type { TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from './chatMessage';

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * Marks the stable prefix for prompt caching: the last tool definition, the end of the system
 * prompt, and the last block of the conversation so far (the next request reads everything
 * before it from the cache). Three of the API's four breakpoints. Returns copies; the stored
 * conversation is never changed.
 */
export function withCacheBreakpoints<T extends object>(
  system: string,
  tools: readonly T[],
  messages: readonly ChatMessage[],
): { system: TextBlockParam[]; tools: T[]; messages: ChatMessage[] } {
  const cachedTools = tools.map((t, i) => (i === tools.length - 1 ? { ...t, cache_control: EPHEMERAL } : t));
  const cachedMessages = messages.map((m, i) => {
    if (i !== messages.length - 1) return m;
    const content = [...m.content];
    const lastIndex = content.length - 1;
    const last = content[lastIndex];
    // Thinking blocks cannot carry cache_control; they are never last in a user message anyway.
    if (last && last.type !== 'thinking' && last.type !== 'redacted_thinking') content[lastIndex] = { ...last, cache_control: EPHEMERAL };
    return { ...m, content };
  });
  return { system: [{ type: 'text', text: system, cache_control: EPHEMERAL }], tools: cachedTools, messages: cachedMessages };
}
