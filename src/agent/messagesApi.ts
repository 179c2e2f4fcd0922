import type { DescribedApiError, ModelProvider } from './providers/modelProvider';

export type { DescribedApiError, MessagesRequest } from './providers/modelProvider';

/** The Messages API as the agent uses it: the Anthropic provider (anthropicMessagesApi.ts). Same interface as every provider. */
export type MessagesApi = ModelProvider;

// The API's error types and the HTTP status each stands for (https://docs.anthropic.com/en/api/errors);
// inside a 200 stream an `event: error` carries only the type.
const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

interface SdkErrorShape {
  status?: number;
  name?: string;
  message?: string;
  type?: string | null;
  apiMessage?: string | null;
  requestID?: string | null;
  error?: { error?: { type?: string; message?: string }; request_id?: string };
  cause?: unknown;
}

/** An API failure, said so the user knows what happened and what to do. */
export function describeApiError(error: unknown): DescribedApiError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const type = e.type ?? e.error?.error?.type ?? undefined;
  const httpStatus = typeof e.status === 'number' ? e.status : undefined;
  const status = httpStatus ?? (type ? STATUS_OF_TYPE[type] : undefined);
  // The API's own sentence; the SDK's message is that sentence prefixed by the status, or the raw body.
  const apiMessage = e.apiMessage ?? e.error?.error?.message ?? undefined;
  const detail = oneLine(apiMessage ?? (e.message ?? String(error)));
  const requestId = e.requestID ?? e.error?.request_id ?? undefined;
  const base = { sdkRetried: httpStatus !== undefined, ...(requestId ? { requestId } : {}), ...(status !== undefined ? { status } : {}) };
  const said = (message: string, retryable: boolean): DescribedApiError => ({ ...base, message, retryable });
  if (status === 401) return said('The API key was refused (401). Set a new one with "ML Engineer: Set Anthropic API Key".', false);
  if (status === 402) return said(`The API refused the request for billing reasons (402): ${detail}`, false);
  if (status === 403) return said(`The API refused the request (403): ${detail}`, false);
  if (status === 404) return said(`Not found (404): ${detail}. Check the model picked for this chat and mlEngineer.anthropic.baseUrl.`, false);
  if (status === 413) return said('The conversation is too large for one request (413). Start a new chat or remove large attachments.', false);
  if (status === 400 && /prompt is too long/i.test(detail)) return said(`The conversation no longer fits the model's context window (${detail}). Start a new chat, or ask for a summary and continue there.`, false);
  if (status === 400) return said(`The API rejected the request (400): ${detail}`, false);
  if (status === 429) return said('Rate limited by the API (429), still after waiting as it asked. Try again in a minute, or lower the request rate.', true);
  if (status === 529) return said('The API is overloaded right now (529). Your conversation is kept; try again shortly.', true);
  if (status === 504) return said('The API timed out (504). Your conversation is kept; try again.', true);
  if (status !== undefined && status >= 500) return said(`The API failed (${status}${apiMessage ? `: ${detail}` : ''}). Your conversation is kept; try again.`, true);
  if (e.name === 'SyntaxError' || /JSON/.test(detail)) return said(`The API sent an event that could not be read (${detail}). The partial answer is kept; try again.`, true);
  if (e.name === 'APIConnectionError' || e.name === 'APIConnectionTimeoutError' || /terminated|socket|ECONNRESET|ECONNREFUSED|network|fetch failed|premature|ended before/i.test(detail)) {
    const cause = causeOf(e.cause);
    return said(`The connection to the API dropped (${detail}${cause ? `: ${cause}` : ''}). The partial answer is kept; try again.`, true);
  }
  return said(`The request failed: ${detail}`, false);
}

/** The innermost reason of a wrapped error (fetch's "fetch failed" hides ECONNRESET and the like in `cause`). */
export function causeOf(cause: unknown, depth = 0): string | undefined {
  if (!cause || typeof cause !== 'object' || depth > 4) return undefined;
  const c = cause as { code?: unknown; message?: unknown; cause?: unknown };
  const inner = causeOf(c.cause, depth + 1);
  const here = [typeof c.code === 'string' ? c.code : undefined, typeof c.message === 'string' ? c.message : undefined].filter(Boolean).join(' ');
  return inner ?? (here || undefined);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 400);
}
