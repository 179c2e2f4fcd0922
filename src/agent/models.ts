/** The model for new chats: a current one that the SDK does not mark deprecated (a unit test checks). */
export const DEFAULT_MODEL = 'claude-sonnet-5-5';

/** What the model picker offers until the API's models endpoint has answered. */
export const FALLBACK_MODELS: readonly string[] = [DEFAULT_MODEL, 'claude-opus-5-5', 'claude-haiku-5-5'];

/** Context window assumed for the meter and the trimming budget. */
export const CONTEXT_WINDOW_TOKENS = 200_000;

// Claude 4.6 and later (and the 5 families) take `thinking: {type: 'adaptive', display}`; from Opus 4.7
// on the default display is 'omitted' (only a signature streams). Gateway model names match neither.
const TAKES_THINKING_DISPLAY = /claude-(?:(?:opus|sonnet|haiku)-4-(?:[6-9]|\d\d)|(?:opus|sonnet|haiku|fable|mythos)-(?:[5-9]|\d\d)|fable|mythos)/;

/** The `display` to ask for with adaptive thinking: summarised where the model takes it, else none (the field is left out). */
export function thinkingDisplayFor(model: string): 'summarized' | undefined {
  return TAKES_THINKING_DISPLAY.test(model) ? 'summarized' : undefined;
}

/**
 * The shortest prefix the API caches for a model (its prompt caching documentation): shorter
 * prefixes are processed, billed in full and not written. Unknown names get the common 1,024.
 */
export function minCacheableTokens(model: string): number {
  if (/haiku-3|3(?:-5)?-haiku/.test(model)) return 2048;
  if (/opus-4-[5-7]|haiku-(?:4-5|[5-9])/.test(model)) return 4096;
  return 1024;
}
