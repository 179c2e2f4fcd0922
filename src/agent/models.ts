/** The model for new chats: a current one that the SDK does not mark deprecated (a unit test checks). */
export const DEFAULT_MODEL = 'claude-sonnet-5-5';

/** What the model picker offers until the API's models endpoint has answered. */
export const FALLBACK_MODELS: readonly string[] = [DEFAULT_MODEL, 'claude-opus-5-5', 'claude-haiku-5-5'];

/** Context window assumed for the meter and the trimming budget. */
export const CONTEXT_WINDOW_TOKENS = 200_000;
