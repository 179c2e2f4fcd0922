import type { RawMessageStreamEvent, TextBlockParam, ThinkingConfigParam } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from '../chatMessage';
import type { ModelPrice } from '../pricing';
import type { ApiTool } from '../tools/toolRegistry';

/** One model request, in the Messages API's shape whatever the provider. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  system: TextBlockParam[];
  tools?: ApiTool[];
  messages: ChatMessage[];
  thinking?: ThinkingConfigParam;
}

export interface DescribedApiError {
  /** What happened and what to do, in words (never a JSON body). */
  readonly message: string;
  /** Worth trying again: overloaded, rate limited, a server fault, a dropped connection. */
  readonly retryable: boolean;
  /** The API's id for the request, for support. */
  readonly requestId?: string;
  /** The HTTP status, or the status the error type stands for when it came inside a 200 stream. */
  readonly status?: number;
  /** True when the SDK already retried it (an HTTP error status); false for errors inside a stream and dropped connections. */
  readonly sdkRetried: boolean;
}

/** Which kind of service answers the chat. */
export type ProviderKind = 'anthropic' | 'openai-compatible' | 'vscode-lm';

/** What a provider can do beyond streaming text and tool calls; the session leaves out what it lacks. */
export interface ProviderCapabilities {
  /** cache_control breakpoints and the speculative warm-up request (Anthropic only). */
  readonly promptCaching: boolean;
  /** Extended (adaptive) thinking blocks, kept across tool turns. */
  readonly thinking: boolean;
}

/**
 * The one interface the agent loop talks to, whatever answers. The conversation's shape is the
 * Messages API's (content blocks: text, tool_use, tool_result, image) and so is the stream
 * (RawMessageStreamEvent): the Anthropic provider passes both through, the others translate
 * requests to their API and their stream back, so the loop, approvals, caps, history and the
 * conversation store are the same for every provider, and a stored conversation can move
 * between providers.
 */
export interface ModelProvider {
  readonly kind: ProviderKind;
  readonly capabilities: ProviderCapabilities;
  /** One model request, streamed. `request.system`/`tools`/`messages` may carry cache_control: providers without caching ignore it. */
  stream(request: MessagesRequest, signal: AbortSignal): AsyncIterable<RawMessageStreamEvent>;
  listModels(signal?: AbortSignal): Promise<string[]>;
  /** Where requests go (for the log when one fails). */
  endpoint?(): string;
  /** A failure of this provider said in words; the Messages API's reading (describeApiError) when absent. */
  describeError?(error: unknown): DescribedApiError;
  /** List price of a model, per million tokens; undefined when not known (the chat then shows the cost as unknown). */
  priceOf(model: string, overrides: Readonly<Record<string, ModelPrice>>): ModelPrice | undefined;
}
