import type AnthropicClient from '@anthropic-ai/sdk';
import type { MessagesApi } from './messagesApi';

export interface AnthropicOptions {
  readonly apiKey: string;
  /** For gateways and proxies; undefined means the SDK's default. */
  readonly baseURL?: string;
  /** The SDK retries 408, 409, 429 and 5xx itself, honouring retry-after. */
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
}

type AnthropicConstructor = new (options: ConstructorParameters<typeof AnthropicClient>[0]) => AnthropicClient;

/** The Messages API through the official SDK. The constructor is passed in so the SDK loads only on first use. */
export function anthropicMessagesApi(Anthropic: AnthropicConstructor, options: AnthropicOptions): MessagesApi {
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: options.maxRetries ?? 3,
    timeout: options.timeoutMs ?? 10 * 60 * 1000,
  });
  return {
    async *stream(request, signal) {
      const stream = await client.messages.create({ ...request, stream: true }, { signal });
      for await (const event of stream) yield event;
    },
    async listModels(signal) {
      const ids: string[] = [];
      for await (const model of client.models.list({ limit: 100 }, signal ? { signal } : {})) ids.push(model.id);
      return ids;
    },
  };
}
