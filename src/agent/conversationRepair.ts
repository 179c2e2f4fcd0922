import type { ContentBlockParam, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from './chatMessage';

/**
 * Makes a stored conversation one the Messages API accepts, whatever wrote it (an older
 * version, a crash between two saves, a stream cut after a tool call): the API refuses the
 * whole request, and so every later message of the chat, for any of these.
 * - empty messages and empty text blocks are dropped ("all messages must have non-empty content");
 * - a `tool_use` without its `tool_result` in the next user message is dropped
 *   ("tool_use ids were found without tool_result blocks immediately after");
 * - a `tool_result` whose `tool_use` is not in the message before is dropped;
 * - thinking blocks without a signature are dropped, as is an assistant message of thinking alone;
 * - messages of the same role in a row are merged (tool results first), and the conversation starts with the user.
 * Returns the repaired copy and what was done, in words (empty when nothing was).
 */
export function repairConversation(messages: readonly ChatMessage[]): { messages: ChatMessage[]; repairs: string[] } {
  const repairs: string[] = [];
  let current: ChatMessage[] = [...messages];
  // Each pass can expose another break (a merge moves a result away from its call); a few passes always settle.
  for (let pass = 0; pass < 5 && (pass === 0 || !isValid(current)); pass++) current = repairOnce(current, repairs);
  return { messages: current, repairs };
}

function repairOnce(messages: readonly ChatMessage[], repairs: string[]): ChatMessage[] {
  const count = (what: string): void => void repairs.push(what);

  // 1. Blocks that can never be sent.
  let out: ChatMessage[] = messages.map((m) => ({
    role: m.role,
    content: (Array.isArray(m.content) ? m.content : []).filter((b) => {
      if (b.type === 'text' && !b.text) return count('an empty text block'), false;
      if (b.type === 'thinking' && !b.signature) return count('a thinking block without a signature'), false;
      return true;
    }),
  }));

  // 2. Tool calls and results that do not pair up, looked at pair by pair.
  for (let i = 0; i < out.length; i++) {
    const m = out[i]!;
    if (m.role === 'assistant') {
      const next = out[i + 1];
      const answered = new Set(next?.role === 'user' ? next.content.filter(isToolResult).map((b) => b.tool_use_id) : []);
      m.content = m.content.filter((b) => (b.type === 'tool_use' && !answered.has(b.id) ? (count(`a tool call (${b.name}) without its result`), false) : true));
    } else {
      const previous = out[i - 1];
      const asked = new Set(previous?.role === 'assistant' ? previous.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])) : []);
      const seen = new Set<string>();
      m.content = m.content.filter((b) => {
        if (!isToolResult(b)) return true;
        if (!asked.has(b.tool_use_id) || seen.has(b.tool_use_id)) return count('a tool result without its call'), false;
        seen.add(b.tool_use_id);
        return true;
      });
    }
  }

  // 3. Messages left empty (or holding thinking alone), then same-role neighbours merged.
  out = out.filter((m) => {
    const answer = m.content.some((b) => b.type !== 'thinking' && b.type !== 'redacted_thinking');
    if (!answer) count(m.content.length === 0 ? `an empty ${m.role} message` : 'an assistant message of thinking alone');
    return answer;
  });
  const merged: ChatMessage[] = [];
  for (const m of out) {
    const last = merged.at(-1);
    if (last?.role === m.role) {
      // A tool_use in the earlier one would lose its place before the results: keep the pairing valid.
      last.content = m.role === 'user' ? [...last.content.filter(isToolResult), ...m.content.filter(isToolResult), ...last.content.filter((b) => !isToolResult(b)), ...m.content.filter((b) => !isToolResult(b))] : [...last.content, ...m.content];
      count(`two ${m.role} messages in a row`);
    } else merged.push({ role: m.role, content: [...m.content] });
  }
  while (merged[0]?.role === 'assistant') {
    merged.shift();
    count('an assistant message before the first question');
  }
  return merged;
}

/** Whether `repairConversation` would change nothing. */
export function isValid(messages: readonly ChatMessage[]): boolean {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === messages[i - 1]?.role) return false;
    if (m.content.length === 0 || !m.content.some((b) => b.type !== 'thinking' && b.type !== 'redacted_thinking')) return false;
    if (m.content.some((b) => (b.type === 'text' && !b.text) || (b.type === 'thinking' && !b.signature))) return false;
    const next = messages[i + 1];
    if (m.role === 'assistant') {
      const answered = new Set(next?.role === 'user' ? next.content.filter(isToolResult).map((b) => b.tool_use_id) : []);
      if (m.content.some((b) => b.type === 'tool_use' && !answered.has(b.id))) return false;
    } else {
      const previous = messages[i - 1];
      const asked = new Set(previous?.role === 'assistant' ? previous.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])) : []);
      if (m.content.some((b) => isToolResult(b) && !asked.has(b.tool_use_id))) return false;
    }
  }
  return messages[0]?.role !== 'assistant';
}

function isToolResult(block: ContentBlockParam): block is ToolResultBlockParam {
  return block.type === 'tool_result';
}
