import { contextWindowOf, isKnownModel, maxOutputOf } from './fakeApiModels';

export interface ApiErrorReply {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

type Block = { type: string; [k: string]: unknown };
type Message = { role?: unknown; content?: unknown };

export interface RequestLedger {
  /** Signatures this server issued, with the thinking text they were sent with. */
  readonly signatures: Map<string, string>;
  /** redacted_thinking data this server issued. */
  readonly redacted: Set<string>;
  /** For each tool_use id it issued, the thinking blocks that began its message (they must come back unchanged). */
  readonly thinkingBeforeToolUse: Map<string, { thinking: string; signature: string }[]>;
}

const invalid = (message: string): ApiErrorReply => ({ status: 400, type: 'invalid_request_error', message });

/**
 * Checks a Messages API request the way the API does, and answers the first problem with the
 * API's status, error type and wording (https://docs.anthropic.com/en/api/errors and the
 * messages shown in SDK issues for each rule). `countTokens` counts the whole prompt.
 */
export function validateRequest(raw: unknown, ledger: RequestLedger, countTokens: (body: never) => number, options: { extraModels?: readonly string[]; contextWindow?: number } = {}): ApiErrorReply | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return invalid('Request body must be a JSON object');
  const body = raw as Record<string, unknown>;
  if (typeof body.model !== 'string' || body.model === '') return invalid('model: Field required');
  if (!isKnownModel(body.model, options.extraModels)) return { status: 404, type: 'not_found_error', message: `model: ${body.model}` };
  if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) return invalid('max_tokens: Input should be greater than or equal to 1');
  if (body.max_tokens > maxOutputOf(body.model)) {
    return invalid(`max_tokens: ${body.max_tokens} > ${maxOutputOf(body.model)}, which is the maximum allowed number of output tokens for ${body.model}`);
  }
  if (body.temperature !== undefined && !(typeof body.temperature === 'number' && body.temperature >= 0 && body.temperature <= 1)) return invalid('temperature: Input should be less than or equal to 1');
  const thinkingProblem = checkThinking(body.thinking, body.max_tokens);
  if (thinkingProblem) return invalid(thinkingProblem);
  const toolsProblem = checkTools(body.tools);
  if (toolsProblem) return invalid(toolsProblem);
  if (!Array.isArray(body.messages)) return invalid('messages: Field required');
  const messages = body.messages as Message[];
  if (messages.length === 0) return invalid('messages: at least one message is required');

  let breakpoints = 0;
  const countBreakpoint = (b: unknown): void => {
    if (b && typeof b === 'object' && 'cache_control' in b && (b as { cache_control?: unknown }).cache_control) breakpoints++;
  };
  for (const t of (body.tools as unknown[] | undefined) ?? []) countBreakpoint(t);
  if (Array.isArray(body.system)) {
    for (const [j, b] of (body.system as Block[]).entries()) {
      countBreakpoint(b);
      if (b.type !== 'text' || typeof b.text !== 'string') return invalid(`system.${j}: Input tag '${String(b.type)}' found using 'type' does not match any of the expected tags: 'text'`);
      if (b.text === '' && b.cache_control) return invalid(`system.${j}.cache_control: cache_control cannot be set for empty text blocks`);
    }
  }

  for (const [i, m] of messages.entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const last = i === messages.length - 1;
    if (typeof m.content === 'string') {
      if (m.content === '' && !(last && m.role === 'assistant')) return invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
      continue;
    }
    if (!Array.isArray(m.content)) return invalid(`messages.${i}.content: Input should be a valid list`);
    const content = m.content as Block[];
    if (content.length === 0 && !(last && m.role === 'assistant')) return invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    for (const [j, b] of content.entries()) {
      countBreakpoint(b);
      const at = `messages.${i}.content.${j}`;
      if (b.type === 'text') {
        if (typeof b.text !== 'string' || b.text === '') return invalid('messages: text content blocks must be non-empty');
      } else if (b.type === 'thinking' || b.type === 'redacted_thinking') {
        if (m.role !== 'assistant') return invalid(`${at}.type: thinking blocks may only be in assistant messages`);
        if (b.cache_control) return invalid(`${at}.thinking.cache_control: Extra inputs are not permitted`);
        if (b.type === 'thinking' && (typeof b.signature !== 'string' || ledger.signatures.get(b.signature) !== b.thinking)) return invalid(`${at}: Invalid \`signature\` in \`thinking\` block`);
        if (b.type === 'redacted_thinking' && !ledger.redacted.has(String(b.data))) return invalid(`${at}: Invalid \`data\` in \`redacted_thinking\` block`);
      } else if (b.type === 'tool_use') {
        if (m.role !== 'assistant') return invalid(`${at}.type: tool_use blocks may only be in assistant messages`);
        if (typeof b.id !== 'string' || typeof b.name !== 'string' || typeof b.input !== 'object' || b.input === null) return invalid(`${at}.tool_use: id, name and input are required`);
      } else if (b.type === 'tool_result') {
        if (m.role !== 'user') return invalid(`${at}.type: tool_result blocks may only be in user messages`);
      } else if (b.type !== 'image' && b.type !== 'document') {
        return invalid(`${at}.type: Input tag '${String(b.type)}' found using 'type' does not match any of the expected tags`);
      }
    }
  }

  // tool_use / tool_result pairing, message by message.
  for (const [i, m] of messages.entries()) {
    if (m.role !== 'assistant' || !Array.isArray(m.content)) continue;
    const ids = (m.content as Block[]).filter((b) => b.type === 'tool_use').map((b) => String(b.id));
    if (ids.length === 0) continue;
    const next = messages[i + 1];
    if (!next) continue; // a final assistant message (prefill) may end in a call
    const answered = new Set(next.role === 'user' && Array.isArray(next.content) ? (next.content as Block[]).filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id)) : []);
    const missing = ids.filter((id) => !answered.has(id));
    if (missing.length > 0) {
      return invalid(`messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
    }
  }
  for (const [i, m] of messages.entries()) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    const previous = messages[i - 1];
    const asked = new Set(previous?.role === 'assistant' && Array.isArray(previous.content) ? (previous.content as Block[]).filter((b) => b.type === 'tool_use').map((b) => String(b.id)) : []);
    for (const [j, b] of (m.content as Block[]).entries()) {
      if (b.type === 'tool_result' && !asked.has(String(b.tool_use_id))) {
        return invalid(`messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
      }
    }
  }

  // With thinking on, the assistant turn whose calls the last message answers must start with its thinking, unchanged.
  const thinkingOn = (body.thinking as { type?: string } | undefined)?.type === 'adaptive' || (body.thinking as { type?: string } | undefined)?.type === 'enabled';
  const lastMessage = messages.at(-1);
  const answering = messages.at(-2);
  if (thinkingOn && lastMessage?.role === 'user' && answering?.role === 'assistant' && Array.isArray(answering.content)) {
    const content = answering.content as Block[];
    const firstCall = content.find((b) => b.type === 'tool_use');
    const expected = firstCall ? ledger.thinkingBeforeToolUse.get(String(firstCall.id)) : undefined;
    if (expected && expected.length > 0) {
      const given = content.filter((b) => b.type === 'thinking');
      const same = expected.length === given.length && expected.every((e, k) => given[k]?.thinking === e.thinking && given[k]?.signature === e.signature) && content[0]?.type === 'thinking';
      if (!same) {
        return invalid(
          `messages.${messages.length - 2}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(content[0]?.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`,
        );
      }
    }
  }

  if (breakpoints > 4) return invalid(`A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints}.`);
  const tokens = countTokens(body as never);
  const window = options.contextWindow ?? contextWindowOf(body.model);
  if (tokens > window) return invalid(`prompt is too long: ${tokens} tokens > ${window} maximum`);
  return undefined;
}

function checkThinking(thinking: unknown, maxTokens: number): string | undefined {
  if (thinking === undefined) return undefined;
  const t = thinking as { type?: unknown; budget_tokens?: unknown; display?: unknown };
  if (t.type !== 'adaptive' && t.type !== 'enabled' && t.type !== 'disabled') return "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'";
  if (t.display !== undefined && t.display !== null && t.display !== 'summarized' && t.display !== 'omitted') return "thinking.display: Input should be 'summarized' or 'omitted'";
  if (t.type === 'enabled') {
    if (!Number.isInteger(t.budget_tokens) || (t.budget_tokens as number) < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if ((t.budget_tokens as number) >= maxTokens) return '`max_tokens` must be greater than `thinking.budget_tokens`';
  }
  return undefined;
}

function checkTools(tools: unknown): string | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return 'tools: Input should be a valid list';
  const names = new Set<string>();
  for (const [i, tool] of (tools as { name?: unknown; input_schema?: { type?: unknown }; cache_control?: { type?: unknown; ttl?: unknown } }[]).entries()) {
    if (typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name)) return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    if (names.has(tool.name)) return 'tools: Tool names must be unique.';
    names.add(tool.name);
    if (tool.input_schema?.type !== 'object') return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
    if (tool.cache_control && (tool.cache_control.type !== 'ephemeral' || (tool.cache_control.ttl !== undefined && tool.cache_control.ttl !== '5m' && tool.cache_control.ttl !== '1h'))) {
      return `tools.${i}.custom.cache_control: Input tag '${String(tool.cache_control.type)}' found using 'type' does not match any of the expected tags: 'ephemeral'`;
    }
  }
  return undefined;
}
