import type OpenAIClient from 'openai';
import type { ModelPrice } from '../../pricing';
import type { ModelProvider } from '../modelProvider';
import { describeOpenAiError } from './chatCompletionsErrors';
import { chatCompletionsRequest, hasImages } from './chatCompletionsRequest';
import { messagesEvents } from './chatCompletionsStream';

export interface OpenAiCompatibleOptions {
  /** Ollama http://localhost:11434/v1, vLLM http://localhost:8000/v1, LM Studio http://localhost:1234/v1, a LiteLLM proxy... */
  readonly baseURL: string;
  /** Optional: most local servers need none; then no Authorization header is sent at all. */
  readonly apiKey?: string;
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
  /** The command that sets the key, named in the 401 message. */
  readonly keyCommand?: string;
}

type OpenAiConstructor = new (options: ConstructorParameters<typeof OpenAIClient>[0]) => OpenAIClient;

/**
 * An OpenAI-compatible Chat Completions endpoint as a ModelProvider, through the official `openai`
 * SDK (loaded on first use, like the Anthropic one). No prompt caching or thinking to ask for;
 * servers that cache prefixes on their own report cached tokens, counted as cache reads. Images
 * go as image_url parts; when the server answers that the model takes none, the request is sent
 * again without them and the model is remembered. Prices only from mlEngineer.agent.prices:
 * otherwise the cost is unknown.
 */
export function openaiCompatibleProvider(OpenAI: OpenAiConstructor, options: OpenAiCompatibleOptions | (() => OpenAiCompatibleOptions)): ModelProvider {
  let built: { key: string; client: OpenAIClient } | undefined;
  const current = (): OpenAiCompatibleOptions => (typeof options === 'function' ? options() : options);
  const client = (): OpenAIClient => {
    const o = current();
    const key = JSON.stringify([o.apiKey, o.baseURL, o.maxRetries, o.timeoutMs]);
    if (built?.key !== key) {
      built = {
        key,
        client: new OpenAI({
          // The SDK insists on a key; without one the Authorization header is removed below, never sent as a placeholder.
          apiKey: o.apiKey || 'none',
          baseURL: o.baseURL,
          maxRetries: o.maxRetries ?? 3,
          timeout: o.timeoutMs ?? 10 * 60 * 1000,
          ...(o.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
        }),
      };
    }
    return built.client;
  };
  /** Models whose server said they take no images. */
  const textOnly = new Set<string>();
  const endpoint = (): string => current().baseURL;
  return {
    kind: 'openai-compatible',
    capabilities: { promptCaching: false, thinking: false },
    async *stream(request, signal) {
      const images = !textOnly.has(request.model);
      let chunks;
      try {
        chunks = await client().chat.completions.create(chatCompletionsRequest(request, { images }), { signal });
      } catch (error) {
        if (!images || !hasImages(request) || !refusesImages(error)) throw error;
        textOnly.add(request.model);
        chunks = await client().chat.completions.create(chatCompletionsRequest(request, { images: false }), { signal });
      }
      yield* messagesEvents(chunks);
    },
    async listModels(signal) {
      const ids: string[] = [];
      for await (const model of client().models.list(signal ? { signal } : {})) ids.push(model.id);
      return ids.sort();
    },
    endpoint,
    describeError: (error) => describeOpenAiError(error, { endpoint: endpoint(), keyCommand: current().keyCommand ?? 'ML Engineer: Set OpenAI-Compatible Endpoint API Key' }),
    priceOf: (model: string, overrides: Readonly<Record<string, ModelPrice>>) => overrides[model],
  };
}

/** A 400 saying the model takes no images (vLLM, Ollama, LM Studio and LiteLLM each word it their way). */
function refusesImages(error: unknown): boolean {
  const e = error as { status?: number; message?: string } | null;
  return (e?.status === 400 || e?.status === 422) && /image|vision|multimodal|multi-modal/i.test(e.message ?? '');
}
