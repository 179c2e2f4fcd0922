import type { ChatMessage } from './chatMessage';

/** A rough count (4 characters a token): enough to decide when to trim, never shown as exact. */
export function estimateTokens(messages: readonly ChatMessage[], system = ''): number {
  // An image costs about 1,600 tokens whatever its base64 length (the API scales it down).
  const text = JSON.stringify(messages, (key, value: unknown) => (key === 'data' && typeof value === 'string' && value.length > IMAGE_CHARS ? IMAGE_STANDIN : value));
  return Math.ceil((system.length + text.length) / 4);
}

/** The tool definitions' share of a request, which every request carries before the conversation. */
export function estimateToolsTokens(tools: readonly object[]): number {
  return Math.ceil(JSON.stringify(tools).length / 4);
}

/**
 * How far the estimate is off for this conversation, from the real `usage` of a request: its
 * input tokens (uncached + cache writes + cache reads) over what was estimated for it. Code,
 * JSON and non-English text run well under 4 characters a token; the ratio corrects the next
 * estimates. Kept between 0.5 and 4 so one odd reading cannot run away.
 */
export function tokenRatio(realInputTokens: number, estimatedTokens: number): number {
  if (!(realInputTokens > 0) || !(estimatedTokens > 0)) return 1;
  return Math.min(4, Math.max(0.5, realInputTokens / estimatedTokens));
}

const IMAGE_CHARS = 6_400;
const IMAGE_STANDIN = 'x'.repeat(IMAGE_CHARS);

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

/**
 * Where to cut the conversation for a summary: the start of a user message that carries the
 * user's words (never tool results, which must follow their tool calls), leaving at least
 * `keepRecent` messages and cutting near half of the estimated tokens. -1 when there is none.
 */
export function summaryCut(messages: readonly ChatMessage[], keepRecent = 4): number {
  const total = estimateTokens(messages);
  let best = -1;
  let running = 0;
  for (let i = 0; i < messages.length - keepRecent; i++) {
    const m = messages[i]!;
    if (i >= 2 && m.role === 'user' && m.content.some((b) => b.type === 'text') && !m.content.some((b) => b.type === 'tool_result')) {
      best = i;
      if (running >= total / 2) break;
    }
    running += estimateTokens([m]);
  }
  return best;
}

/** The messages before the cut as plain text, for the model to summarise (tool outputs shortened). */
export function transcriptForSummary(messages: readonly ChatMessage[]): string {
  const lines: string[] = [];
  for (const m of messages) {
    for (const b of m.content) {
      if (b.type === 'text') lines.push(`${m.role}: ${b.text}`);
      else if (b.type === 'tool_use') lines.push(`${m.role} called ${b.name} ${JSON.stringify(b.input).slice(0, 500)}`);
      else if (b.type === 'tool_result') {
        const content = typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? '');
        lines.push(`tool result${b.is_error ? ' (error)' : ''}: ${content.slice(0, 800)}${content.length > 800 ? ' …' : ''}`);
      }
    }
  }
  return lines.join('\n');
}

export const SUMMARY_MARK = '[Summary of the earlier conversation]';
