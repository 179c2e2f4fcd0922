import type { TurnUsage } from './streamAccumulator';

/** US dollars per million tokens. Cache writes cost 1.25x input (5-minute TTL), cache reads 0.1x. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
}

// Published list prices by family at the time of writing; the setting mlEngineer.agent.prices
// overrides them (gateways and new models). The UI says "estimated".
const FAMILY_PRICES: readonly [RegExp, ModelPrice][] = [
  [/opus-4-[01]|opus-3/, { input: 15, output: 75 }],
  [/opus/, { input: 5, output: 25 }],
  [/sonnet/, { input: 3, output: 15 }],
  [/haiku-3-5|haiku-3\b/, { input: 0.8, output: 4 }],
  [/haiku/, { input: 1, output: 5 }],
];

export function priceOf(model: string, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice | undefined {
  return overrides[model] ?? FAMILY_PRICES.find(([pattern]) => pattern.test(model))?.[1];
}

export function costOf(usage: TurnUsage, price: ModelPrice | undefined): number {
  if (!price) return 0;
  const perToken = (perMillion: number): number => perMillion / 1_000_000;
  return (
    usage.input_tokens * perToken(price.input) +
    usage.cache_creation_input_tokens * perToken(price.input * 1.25) +
    usage.cache_read_input_tokens * perToken(price.input * 0.1) +
    usage.output_tokens * perToken(price.output)
  );
}

export function addUsage(a: TurnUsage, b: TurnUsage): TurnUsage {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cache_creation_input_tokens: a.cache_creation_input_tokens + b.cache_creation_input_tokens,
    cache_read_input_tokens: a.cache_read_input_tokens + b.cache_read_input_tokens,
  };
}

export const ZERO_USAGE: TurnUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

/** All input the model read for a request: uncached + cache writes + cache reads. */
export function totalInput(usage: TurnUsage): number {
  return usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens;
}
