import type { RawMessageStreamEvent, StopReason } from '@anthropic-ai/sdk/resources/messages';
import type { TurnUsage } from '../streamAccumulator';

/**
 * Messages API stream events for providers that translate another stream. Only the fields the
 * StreamAccumulator reads are filled; the SDK's types list every field the API may send, hence the
 * one cast here.
 */
const event = (e: object): RawMessageStreamEvent => e as RawMessageStreamEvent;

export const streamEvents = {
  messageStart: (id: string, model: string): RawMessageStreamEvent =>
    event({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } }),
  textStart: (index: number): RawMessageStreamEvent => event({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
  thinkingStart: (index: number): RawMessageStreamEvent => event({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  toolUseStart: (index: number, id: string, name: string): RawMessageStreamEvent => event({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } }),
  textDelta: (index: number, text: string): RawMessageStreamEvent => event({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } }),
  thinkingDelta: (index: number, thinking: string): RawMessageStreamEvent => event({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } }),
  inputJsonDelta: (index: number, partialJson: string): RawMessageStreamEvent => event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partialJson } }),
  blockStop: (index: number): RawMessageStreamEvent => event({ type: 'content_block_stop', index }),
  /** The stop reason (null: unchanged) and the message's cumulative counts where known. */
  messageDelta: (stopReason: StopReason | null, usage: Partial<TurnUsage> = {}): RawMessageStreamEvent => event({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage }),
  messageStop: (): RawMessageStreamEvent => event({ type: 'message_stop' }),
};
