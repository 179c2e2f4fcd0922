import type { DescribedApiError } from './modelProvider';

interface LanguageModelErrorShape {
  name?: string;
  message?: string;
  /** LanguageModelError.code: NoPermissions, Blocked, NotFound; or the provider's own. */
  code?: string;
  cause?: unknown;
}

/**
 * A failure of VS Code's Language Model API (the user's Copilot models), in words. VS Code throws
 * LanguageModelError with a code (NoPermissions: the consent was declined; Blocked: the extension
 * is over its request budget; NotFound: the model is gone); Copilot's own failures come through in
 * the message: model_not_supported (the model is not enabled for the user's plan or organisation),
 * quota_exceeded (premium requests used up), rate_limited.
 */
export function describeLanguageModelError(error: unknown, model: string): DescribedApiError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as LanguageModelErrorShape;
  const inner = typeof e.cause === 'object' && e.cause !== null ? (e.cause as { message?: unknown }).message : undefined;
  const causeMessage = typeof inner === 'string' ? inner : '';
  const detail = `${e.message ?? String(error)} ${causeMessage}`.replace(/\s+/g, ' ').trim().slice(0, 300);
  const code = e.code ?? '';
  const said = (message: string, retryable: boolean): DescribedApiError => ({ message, retryable, sdkRetried: false });
  if (code === 'NoPermissions' || /NoPermissions|consent|not allowed to use/i.test(detail)) {
    return said(`VS Code's language models were not allowed for ML Engineer (the consent was declined). Allow it in the Accounts menu under "Manage Language Model Access", then try again, or pick another provider in the chat.`, false);
  }
  if (/model_not_supported|model is not supported|not supported for this/i.test(detail)) {
    return said(`The model ${model} is not available on your Copilot plan (model_not_supported). Enable it in your GitHub Copilot settings (an organisation may have to allow it), or pick another model in the chat.`, false);
  }
  if (/quota|premium request|usage limit/i.test(detail)) {
    return said(`Your Copilot quota for ${model} is used up (${detail}). Pick a model included in your plan, or wait until the quota resets.`, false);
  }
  if (/rate.?limit|too many requests|429/i.test(detail)) return said(`Copilot rate-limited the request to ${model} (${detail}). Your conversation is kept; try again in a minute.`, true);
  if (code === 'Blocked') return said(`VS Code blocked ML Engineer's request to ${model}: too many requests from this extension for now (${detail}). Try again in a minute.`, true);
  if (code === 'NotFound' || /not found/i.test(detail)) return said(`The model ${model} is not available any more (signed out of Copilot, or the model was removed). Pick another model in the chat.`, false);
  if (/cancel/i.test(e.name ?? '') || /cancel/i.test(detail)) return said('The request was cancelled.', false);
  return said(`The request to ${model} through VS Code's Language Model API failed: ${detail}`, /network|ECONN|timed? ?out|fetch failed|socket/i.test(detail));
}
