import type { RawMessageStreamEvent, StopReason } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { randomUUID } from 'node:crypto';
import type { TurnUsage } from '../../streamAccumulator';
import { streamEvents } from '../streamEvents';

type OpenBlock = { kind: 'text' | 'thinking'; index: number } | { kind: 'tool'; index: number; key: string };

/** The finish reasons of Chat Completions as the Messages API's stop reasons. */
const STOP_REASON: Readonly<Record<string, StopReason>> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
};

/**
 * Chat Completions chunks as Messages API stream events, so the session's StreamAccumulator reads
 * every provider alike. Text opens a text block; each tool call (told apart by its index, or by a
 * new id where a server sends none, as some Ollama builds do) opens a tool_use block whose argument
 * fragments become input_json_delta; reasoning text (vLLM's reasoning_content, Ollama's reasoning)
 * is shown as thinking, never sent back (it has no signature). The finish reason becomes the stop
 * reason; the usage chunk (no choices) becomes the token counts, cached prompt tokens as cache reads.
 * No stop reason is made up: a stream that ends without one is reported as cut off by the session.
 */
export async function* messagesEvents(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<RawMessageStreamEvent> {
  let started = false;
  let next = 0;
  let open: OpenBlock | undefined;
  const toolBlocks = new Map<string, number>();
  let sawToolCall = false;
  let finish: string | undefined;

  const close = function* (): Generator<RawMessageStreamEvent> {
    if (open) yield streamEvents.blockStop(open.index);
    open = undefined;
  };
  const openText = function* (kind: 'text' | 'thinking'): Generator<RawMessageStreamEvent> {
    if (open?.kind === kind) return;
    yield* close();
    open = { kind, index: next++ };
    yield kind === 'text' ? streamEvents.textStart(open.index) : streamEvents.thinkingStart(open.index);
  };

  for await (const chunk of chunks) {
    if (!started) {
      started = true;
      yield streamEvents.messageStart(chunk.id, chunk.model);
    }
    const choice = chunk.choices?.[0];
    const delta = choice?.delta;
    // Not in the SDK's types: the reasoning fields vLLM and Ollama add to the delta.
    const extra = delta as { reasoning_content?: string | null; reasoning?: string | null } | undefined;
    const reasoning = extra?.reasoning_content ?? extra?.reasoning;
    if (reasoning) {
      yield* openText('thinking');
      yield streamEvents.thinkingDelta(open!.index, reasoning);
    }
    if (delta?.content) {
      yield* openText('text');
      yield streamEvents.textDelta(open!.index, delta.content);
    }
    for (const call of delta?.tool_calls ?? []) {
      // A fragment belongs to the call with its index; a server that numbers nothing starts a new call with each new id.
      const key = call.index !== undefined && call.index !== null ? `i${call.index}` : call.id ? `id${call.id}` : open?.kind === 'tool' ? open.key : 'i0';
      if (!toolBlocks.has(key)) {
        yield* close();
        sawToolCall = true;
        const index = next++;
        toolBlocks.set(key, index);
        open = { kind: 'tool', index, key };
        yield streamEvents.toolUseStart(index, call.id || `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`, call.function?.name ?? '');
      } else if (open?.kind !== 'tool' || open.key !== key) {
        // Fragments of calls interleaved: the Messages stream has one open block at a time, so the earlier call is not reopened.
        continue;
      }
      const fragment = call.function?.arguments;
      if (fragment) yield streamEvents.inputJsonDelta(open.index, fragment);
    }
    if (choice?.finish_reason) {
      finish = choice.finish_reason;
      yield* close();
      // Some servers say "stop" after tool calls: the calls are what the model asked for.
      const stop = sawToolCall && finish === 'stop' ? 'tool_use' : (STOP_REASON[finish] ?? 'end_turn');
      yield streamEvents.messageDelta(stop, usageOf(chunk));
    } else if (chunk.usage) {
      yield streamEvents.messageDelta(null, usageOf(chunk));
    }
  }
  if (finish !== undefined) yield streamEvents.messageStop();
}

/** The usage of a chunk as the Messages API counts it: cached prompt tokens apart from the rest. */
function usageOf(chunk: ChatCompletionChunk): Partial<TurnUsage> {
  const u = chunk.usage;
  if (!u) return {};
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  return { input_tokens: Math.max(0, u.prompt_tokens - cached), output_tokens: u.completion_tokens, cache_read_input_tokens: cached };
}
