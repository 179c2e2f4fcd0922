import type { RawMessageStreamEvent, TextBlockParam, ThinkingConfigParam } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from './chatMessage';
import type { ApiTool } from './tools/toolRegistry';

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  system: TextBlockParam[];
  tools?: ApiTool[];
  messages: ChatMessage[];
  thinking?: ThinkingConfigParam;
}

/** The slice of the Messages API the agent uses; the SDK implements it (anthropicMessagesApi.ts). */
export interface MessagesApi {
  stream(request: MessagesRequest, signal: AbortSignal): AsyncIterable<RawMessageStreamEvent>;
  listModels(signal?: AbortSignal): Promise<string[]>;
}

/** An API failure, said so the user knows what happened and what to do. */
export function describeApiError(error: unknown): { message: string; retryable: boolean } {
  const e = error as { status?: number; name?: string; message?: string; headers?: { get?(n: string): string | null } };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const detail = (e.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300);
  if (status === 401) return { message: 'The API key was refused (401). Set a new one with "ML Engineer: Set Anthropic API Key".', retryable: false };
  if (status === 403) return { message: `The API refused the request (403): ${detail}`, retryable: false };
  if (status === 404) return { message: `The model or endpoint was not found (404): ${detail}. Check the model setting and mlEngineer.anthropic.baseUrl.`, retryable: false };
  if (status === 400) return { message: `The API rejected the request (400): ${detail}`, retryable: false };
  if (status === 413) return { message: 'The conversation is too large for one request (413). Start a new chat or remove large attachments.', retryable: false };
  if (status === 429) return { message: 'Rate limited by the API (429), still after waiting as it asked. Try again in a minute, or lower the request rate.', retryable: true };
  if (status === 529) return { message: 'The API is overloaded right now (529). Your conversation is kept; try again shortly.', retryable: true };
  if (status !== undefined && status >= 500) return { message: `The API failed (${status}). Your conversation is kept; try again.`, retryable: true };
  if (/JSON|parse/i.test(detail) || e.name === 'SyntaxError') return { message: `The API sent an event that could not be read (${detail}). The partial answer is kept; try again.`, retryable: true };
  if (e.name === 'APIConnectionError' || e.name === 'APIConnectionTimeoutError' || /terminated|socket|ECONNRESET|ECONNREFUSED|network|fetch failed|premature/i.test(detail)) {
    return { message: `The connection to the API dropped (${detail}). The partial answer is kept; try again.`, retryable: true };
  }
  return { message: `The request failed: ${detail}`, retryable: false };
}
