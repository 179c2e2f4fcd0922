import type AnthropicClient from '@anthropic-ai/sdk';
import type { MessagesApi } from './messagesApi';
import { priceOf } from './pricing';

export interface AnthropicOptions {
  readonly apiKey: string;
  /** For gateways and proxies; undefined means the SDK's default. */
  readonly baseURL?: string;
  /** The SDK retries 408, 409, 429 and 5xx itself, honouring retry-after. */
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
}

type AnthropicConstructor = new (options: ConstructorParameters<typeof AnthropicClient>[0]) => AnthropicClient;

/**
 * The Messages API through the official SDK. The constructor is passed in so the SDK loads only
 * on first use. `options` is read at every request, and the client rebuilt when it changed: in
 * the editor the base URL is a setting, and right after a window reload the extension host can
 * still hold the default configuration (a client built then would send every request of the
 * conversation to api.anthropic.com instead of the user's gateway).
 */
export function anthropicMessagesApi(Anthropic: AnthropicConstructor, options: AnthropicOptions | (() => AnthropicOptions)): MessagesApi {
  let built: { key: string; client: AnthropicClient } | undefined;
  const client = (): AnthropicClient => {
    const current = typeof options === 'function' ? options() : options;
    const key = JSON.stringify([current.apiKey, current.baseURL, current.maxRetries, current.timeoutMs]);
    if (built?.key !== key) {
      built = {
        key,
        client: new Anthropic({
          apiKey: current.apiKey,
          ...(current.baseURL ? { baseURL: current.baseURL } : {}),
          maxRetries: current.maxRetries ?? 3,
          timeout: current.timeoutMs ?? 10 * 60 * 1000,
        }),
      };
    }
    return built.client;
  };
  return {
    kind: 'anthropic',
    capabilities: { promptCaching: true, thinking: true },
    priceOf,
    async *stream(request, signal) {
      const stream = await client().messages.create({ ...request, stream: true }, { signal });
      for await (const event of stream) yield event;
    },
    async listModels(signal) {
      const ids: string[] = [];
      for await (const model of client().models.list({ limit: 100 }, signal ? { signal } : {})) ids.push(model.id);
      return ids;
    },
    endpoint() {
      return client().baseURL;
    },
  };
}
