/**
 * What the loopback Messages API knows about each model, as Anthropic documents it: the models
 * it serves, their context windows and output limits, the shortest prefix their prompt cache
 * keeps, and whether adaptive thinking is shown or omitted by default. Kept apart from the
 * extension's own tables (src/agent/models.ts) so the tests check the agent against the API's
 * rules, not against themselves.
 */
export const MODELS = [
  { id: 'claude-sonnet-5-5', display_name: 'Claude Sonnet 5.5', created_at: '2026-09-01T00:00:00Z', type: 'model' },
  { id: 'claude-opus-5-5', display_name: 'Claude Opus 5.5', created_at: '2026-09-01T00:00:00Z', type: 'model' },
  { id: 'claude-haiku-5-5', display_name: 'Claude Haiku 5.5', created_at: '2026-10-07T00:00:00Z', type: 'model' },
  { id: 'claude-sonnet-4-6', display_name: 'Claude Sonnet 4.6', created_at: '2026-02-17T00:00:00Z', type: 'model' },
  { id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T00:00:00Z', type: 'model' },
];

export function isKnownModel(model: string, extra: readonly string[] = []): boolean {
  return MODELS.some((m) => m.id === model) || extra.includes(model);
}

/** Context window in tokens: 1M for the 5.5 models, 200k before. */
export function contextWindowOf(model: string): number {
  return /-5-5$|-5$/.test(model) ? 1_000_000 : 200_000;
}

export function maxOutputOf(model: string): number {
  return /-5-5$|-5$/.test(model) ? 128_000 : 64_000;
}

/**
 * Minimum cacheable prompt length (prompt caching docs): 4,096 tokens for Opus 4.5-4.7 and Haiku
 * 4.5 (and the Haiku after it), 2,048 for Haiku 3 and 3.5, 1,024 for the others.
 */
export function minCacheableTokensOf(model: string): number {
  if (/haiku-3|3(?:-5)?-haiku/.test(model)) return 2048;
  if (/opus-4-[5-7]|haiku-4-5|haiku-5/.test(model)) return 4096;
  return 1024;
}

/** Models from Opus 4.7 on omit adaptive thinking's text unless `display: "summarized"` is asked for. */
export function omitsThinkingByDefault(model: string): boolean {
  return /opus-4-[7-9]|(?:opus|sonnet|haiku|fable|mythos)-5|fable|mythos/.test(model);
}
