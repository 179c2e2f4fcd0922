/**
 * Checks a pasted API key before it is stored. Keys for gateways and proxies need not start
 * with `sk-ant-`, so only what is surely wrong is refused: empty, whitespace inside, or
 * something that is clearly not a key.
 */
export function validateApiKeyInput(value: string): string | undefined {
  const key = value.trim();
  if (key === '') return 'Paste your API key (console settings, API keys).';
  if (/\s/.test(key)) return 'An API key has no spaces or line breaks inside.';
  if (key.length < 20) return 'That is too short to be an API key.';
  if (/^(export\s+)?ANTHROPIC_API_KEY=/i.test(key)) return 'Paste only the key, without ANTHROPIC_API_KEY=.';
  return undefined;
}
