import { causeOf } from '../../messagesApi';
import type { DescribedApiError } from '../modelProvider';

interface OpenAiErrorShape {
  status?: number;
  name?: string;
  message?: string;
  code?: string | null;
  param?: string | null;
  requestID?: string | null;
  error?: { message?: string; code?: string | null; param?: string | null } | null;
  headers?: { get?(name: string): string | null };
  cause?: unknown;
}

/**
 * A failure of an OpenAI-compatible endpoint, in words. The SDK has retried 408, 409, 429 and 5xx
 * itself (honouring retry-after) before any of these reaches the user; errors sent inside a 200
 * stream and dropped connections it has not.
 */
export function describeOpenAiError(error: unknown, where: { endpoint: string; keyCommand: string }): DescribedApiError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as OpenAiErrorShape;
  const httpStatus = typeof e.status === 'number' ? e.status : undefined;
  const inner = e.error && typeof e.error === 'object' ? e.error : undefined;
  const detail = oneLine(inner?.message ?? stripStatus(e.message ?? String(error)));
  const code = e.code ?? inner?.code ?? undefined;
  const param = e.param ?? inner?.param ?? undefined;
  const requestId = e.requestID ?? undefined;
  // An error inside the stream has no HTTP status; its code tells what it stands for.
  const status = httpStatus ?? (code === 'rate_limit_exceeded' ? 429 : code === 'server_error' ? 500 : undefined);
  const base = { sdkRetried: httpStatus !== undefined, ...(requestId ? { requestId } : {}), ...(status !== undefined ? { status } : {}) };
  const said = (message: string, retryable: boolean): DescribedApiError => ({ ...base, message, retryable });
  const at = where.endpoint;
  if (status === 401) return said(`${at} refused the API key (401: ${detail}). Set the right one with "${where.keyCommand}", or clear it if the server needs none.`, false);
  if (status === 403) return said(`${at} refused the request (403): ${detail}`, false);
  if (status === 404) return said(`Not found at ${at} (404): ${detail}. Check the model name (for Ollama: \`ollama list\`) and mlEngineer.openaiCompatible.baseUrl (it usually ends in /v1).`, false);
  if (status === 413) return said('The conversation is too large for one request (413). Start a new chat or remove large attachments.', false);
  if (status === 429) {
    const after = e.headers?.get?.('retry-after');
    return said(`Rate limited by ${at} (429${code ? `, ${code}` : ''}), still after waiting as it asked${after ? ` (retry-after ${after} s)` : ''}. Try again in a minute. ${detail}`.trim(), true);
  }
  if ((status === 400 || status === 422) && /context length|context window|maximum context|too many tokens|prompt is too long/i.test(detail)) {
    return said(`The conversation no longer fits the model's context window (${detail}). Start a new chat, or ask for a summary and continue there.`, false);
  }
  if ((status === 400 || status === 422) && (param?.startsWith('tools') || /tool|function/i.test(detail))) {
    return said(`${at} rejected the tool definitions or a tool call (${status}${param ? `, ${param}` : ''}): ${detail}. The model or server may not support tool calling; pick another model.`, false);
  }
  if (status === 400 || status === 422) return said(`${at} rejected the request (${status}${param ? `, ${param}` : ''}): ${detail}`, false);
  if (status !== undefined && status >= 500) return said(`${at} failed (${status}: ${detail}). Your conversation is kept; try again.`, true);
  if (e.name === 'APIConnectionError' || e.name === 'APIConnectionTimeoutError' || /terminated|socket|ECONNRESET|ECONNREFUSED|network|fetch failed|premature|ended before|Connection error/i.test(detail)) {
    const cause = causeOf(e.cause);
    return said(`The connection to ${at} dropped or could not be made (${detail}${cause ? `: ${cause}` : ''}). Is the server running? The partial answer is kept; try again.`, true);
  }
  if (e.name === 'SyntaxError' || /JSON/.test(detail)) return said(`${at} sent a chunk that could not be read (${detail}). The partial answer is kept; try again.`, true);
  return said(`The request to ${at} failed: ${detail}`, false);
}

// The SDK's message is the status then the body's message ("401 Incorrect API key"); the body alone reads better.
function stripStatus(message: string): string {
  return message.replace(/^\d{3}\s+/, '');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 400);
}
