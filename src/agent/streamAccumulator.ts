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

/** Why the model stopped, beyond the stop reason: the API sends it with refusals. */
export interface StopDetails {
  readonly category?: string;
  readonly explanation?: string;
}

/** What one event meant for the view: text or thinking to draw, a thinking block opening or closing. */
export interface AppliedEvent {
  readonly blockIndex: number;
  readonly text?: string;
  readonly thinking?: string;
  /** A thinking block began (its text may never come: models that omit thinking send only a signature). */
  readonly thinkingStarted?: true;
  readonly thinkingStopped?: true;
}

/**
 * Builds the assistant message from streamed events, keeping whatever arrived if the stream
 * breaks: `content()` returns the complete blocks (a tool call whose input did not finish
 * arriving is left out, since it cannot be run). Tolerates what gateways and the API really
 * send: a `message_start` without `usage`, a `message_delta` without it or with cumulative
 * input and cache counts (which win over the start's), `""` JSON deltas, unknown events.
 */
export class StreamAccumulator {
  readonly blocks: AccumulatedBlock[] = [];
  private readonly complete = new Set<number>();
  stopReason: StopReason | null = null;
  stopDetails: StopDetails | undefined;
  usage: TurnUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

  /** Applies one event; returns what it means for the view, if anything. */
  apply(event: RawMessageStreamEvent): AppliedEvent | undefined {
    switch (event.type) {
      case 'message_start': {
        const u: Partial<Record<keyof TurnUsage, number | null>> = event.message?.usage ?? {};
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
        if (b.type === 'text') this.blocks[event.index] = { type: 'text', text: b.text ?? '' };
        else if (b.type === 'thinking') {
          this.blocks[event.index] = { type: 'thinking', thinking: b.thinking ?? '', signature: b.signature ?? '' };
          return { blockIndex: event.index, thinkingStarted: true };
        } else if (b.type === 'redacted_thinking') {
          this.blocks[event.index] = { type: 'redacted_thinking', data: b.data };
          return { blockIndex: event.index, thinkingStarted: true };
        } else if (b.type === 'tool_use') this.blocks[event.index] = { type: 'tool_use', id: b.id, name: b.name, inputJson: '' };
        return undefined;
      }
      case 'content_block_delta': {
        const block = this.blocks[event.index];
        const d = event.delta;
        if (d.type === 'text_delta' && block?.type === 'text') {
          block.text += d.text;
          return d.text ? { text: d.text, blockIndex: event.index } : undefined;
        }
        if (d.type === 'thinking_delta' && block?.type === 'thinking') {
          block.thinking += d.thinking;
          return d.thinking ? { thinking: d.thinking, blockIndex: event.index } : undefined;
        }
        if (d.type === 'signature_delta' && block?.type === 'thinking') block.signature += d.signature;
        if (d.type === 'input_json_delta' && block?.type === 'tool_use') block.inputJson += d.partial_json ?? '';
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
        return block?.type === 'thinking' || block?.type === 'redacted_thinking' ? { blockIndex: event.index, thinkingStopped: true } : undefined;
      }
      case 'message_delta': {
        this.stopReason = event.delta?.stop_reason ?? this.stopReason;
        const details = event.delta?.stop_details;
        if (details) this.stopDetails = { ...(details.category ? { category: details.category } : {}), ...(details.explanation ? { explanation: details.explanation } : {}) };
        // The delta's counts are cumulative for the whole message: where present they replace the start's.
        const u: Partial<Record<keyof TurnUsage, number | null>> = event.usage ?? {};
        if (u.output_tokens != null) this.usage.output_tokens = u.output_tokens;
        if (u.input_tokens != null) this.usage.input_tokens = u.input_tokens;
        if (u.cache_read_input_tokens != null) this.usage.cache_read_input_tokens = u.cache_read_input_tokens;
        if (u.cache_creation_input_tokens != null) this.usage.cache_creation_input_tokens = u.cache_creation_input_tokens;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  text(): string {
    return this.blocks.filter((b): b is Extract<AccumulatedBlock, { type: 'text' }> => b?.type === 'text').map((b) => b.text).join('');
  }

  /** Whether anything reached the user: text, thinking, or a tool call. */
  hasOutput(): boolean {
    return this.blocks.some((b) => b !== undefined && (b.type !== 'text' || b.text !== ''));
  }

  toolCalls(): Extract<AccumulatedBlock, { type: 'tool_use' }>[] {
    return this.blocks.filter((b, i): b is Extract<AccumulatedBlock, { type: 'tool_use' }> => b?.type === 'tool_use' && this.complete.has(i));
  }

  /**
   * The assistant message to keep in the conversation. Partial (interrupted) text is kept;
   * unfinished tool calls, empty text and thinking blocks without a signature are dropped, as
   * the API would refuse them. `withToolCalls: false` leaves the tool calls out too, for a
   * message whose calls will not be run (the answer stopped for another reason than tool_use).
   */
  content(options: { withToolCalls?: boolean } = {}): ContentBlockParam[] {
    const withToolCalls = options.withToolCalls ?? true;
    const out: ContentBlockParam[] = [];
    this.blocks.forEach((b, i) => {
      if (!b) return;
      if (b.type === 'text' && b.text !== '') out.push({ type: 'text', text: b.text });
      else if (b.type === 'thinking' && b.signature !== '' && this.complete.has(i)) out.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
      else if (b.type === 'redacted_thinking' && this.complete.has(i)) out.push({ type: 'redacted_thinking', data: b.data });
      else if (b.type === 'tool_use' && withToolCalls && this.complete.has(i)) out.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} });
    });
    // Thinking alone is not an answer the API accepts back as a turn.
    return out.some((b) => b.type !== 'thinking' && b.type !== 'redacted_thinking') ? out : [];
  }
}
