import type { ContentBlockParam, RawMessageStreamEvent, StopReason } from '@anthropic-ai/sdk/resources/messages';

export interface TurnUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type AccumulatedBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; inputJson: string; input?: unknown };

/**
 * Builds the assistant message from streamed events, keeping whatever arrived if the stream
 * breaks: `content()` returns the complete blocks (a tool call whose input did not finish
 * arriving is left out, since it cannot be run).
 */
export class StreamAccumulator {
  readonly blocks: AccumulatedBlock[] = [];
  private readonly complete = new Set<number>();
  stopReason: StopReason | null = null;
  usage: TurnUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

  /** Applies one event; returns the text delta it carried, if any (for streaming to the view). */
  apply(event: RawMessageStreamEvent): { text?: string; thinking?: string; blockIndex: number } | undefined {
    switch (event.type) {
      case 'message_start': {
        const u = event.message.usage;
        this.usage = {
          input_tokens: u.input_tokens ?? 0,
          output_tokens: u.output_tokens ?? 0,
          cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
          cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
        };
        return undefined;
      }
      case 'content_block_start': {
        const b = event.content_block;
        if (b.type === 'text') this.blocks[event.index] = { type: 'text', text: b.text };
        else if (b.type === 'thinking') this.blocks[event.index] = { type: 'thinking', thinking: b.thinking, signature: b.signature };
        else if (b.type === 'redacted_thinking') this.blocks[event.index] = { type: 'redacted_thinking', data: b.data };
        else if (b.type === 'tool_use') this.blocks[event.index] = { type: 'tool_use', id: b.id, name: b.name, inputJson: '' };
        return undefined;
      }
      case 'content_block_delta': {
        const block = this.blocks[event.index];
        const d = event.delta;
        if (d.type === 'text_delta' && block?.type === 'text') {
          block.text += d.text;
          return { text: d.text, blockIndex: event.index };
        }
        if (d.type === 'thinking_delta' && block?.type === 'thinking') {
          block.thinking += d.thinking;
          return { thinking: d.thinking, blockIndex: event.index };
        }
        if (d.type === 'signature_delta' && block?.type === 'thinking') block.signature += d.signature;
        if (d.type === 'input_json_delta' && block?.type === 'tool_use') block.inputJson += d.partial_json;
        return undefined;
      }
      case 'content_block_stop': {
        const block = this.blocks[event.index];
        if (block?.type === 'tool_use') {
          try {
            block.input = block.inputJson.trim() === '' ? {} : (JSON.parse(block.inputJson) as unknown);
          } catch {
            block.input = undefined; // reported to the model as an invalid call
          }
        }
        this.complete.add(event.index);
        return undefined;
      }
      case 'message_delta':
        this.stopReason = event.delta.stop_reason;
        this.usage.output_tokens = event.usage.output_tokens ?? this.usage.output_tokens;
        if (event.usage.input_tokens != null) this.usage.input_tokens = event.usage.input_tokens;
        if (event.usage.cache_read_input_tokens != null) this.usage.cache_read_input_tokens = event.usage.cache_read_input_tokens;
        if (event.usage.cache_creation_input_tokens != null) this.usage.cache_creation_input_tokens = event.usage.cache_creation_input_tokens;
        return undefined;
      default:
        return undefined;
    }
  }

  text(): string {
    return this.blocks.filter((b): b is Extract<AccumulatedBlock, { type: 'text' }> => b?.type === 'text').map((b) => b.text).join('');
  }

  toolCalls(): Extract<AccumulatedBlock, { type: 'tool_use' }>[] {
    return this.blocks.filter((b, i): b is Extract<AccumulatedBlock, { type: 'tool_use' }> => b?.type === 'tool_use' && this.complete.has(i));
  }

  /**
   * The assistant message to keep in the conversation. Partial (interrupted) text is kept;
   * unfinished tool calls and thinking blocks without a signature are dropped, as the API
   * would refuse them.
   */
  content(): ContentBlockParam[] {
    const out: ContentBlockParam[] = [];
    this.blocks.forEach((b, i) => {
      if (!b) return;
      if (b.type === 'text' && b.text !== '') out.push({ type: 'text', text: b.text });
      else if (b.type === 'thinking' && b.signature !== '' && this.complete.has(i)) out.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
      else if (b.type === 'redacted_thinking') out.push({ type: 'redacted_thinking', data: b.data });
      else if (b.type === 'tool_use' && this.complete.has(i)) out.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} });
    });
    return out;
  }
}
