import { minCacheableTokensOf } from './fakeApiModels';

export interface CacheUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface CacheableRequest {
  model: string;
  system?: unknown;
  tools?: readonly object[];
  messages: readonly { role: string; content: string | readonly object[] }[];
  thinking?: unknown;
}

const TTL_MS = { '5m': 5 * 60 * 1000, '1h': 60 * 60 * 1000 } as const;

/**
 * How the API's prompt cache counts a request (prompt caching docs): the request is a sequence
 * of blocks (tools, then system, then message content); a `cache_control` marks a breakpoint; a
 * request reads the longest prefix an earlier request wrote, on the same model; a prefix is
 * written at a breakpoint only when it is at least the model's minimum cacheable length; an
 * entry lives 5 minutes (or 1 hour with `ttl: "1h"`) from its last write or read; changing the
 * thinking parameters invalidates the cached messages (tools and system stay cached). Tokens are
 * counted as `charsPerToken` characters of each block's JSON. The clock is injectable.
 */
export class PromptCacheModel {
  private readonly written = new Map<string, { tokens: number; expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly charsPerToken = 4,
  ) {}

  /** Input tokens of a request, without touching the cache. */
  countTokens(body: CacheableRequest): number {
    return this.blocksOf(body).reduce((sum, b) => sum + b.tokens, 0);
  }

  account(body: CacheableRequest): CacheUsage {
    const blocks = this.blocksOf(body);
    const now = this.now();
    const keys: string[] = [];
    const totals: number[] = [];
    let key = `${body.model}\u0000`;
    let total = 0;
    for (const block of blocks) {
      key += block.key;
      total += block.tokens;
      keys.push(key);
      totals.push(total);
    }
    let read = 0;
    for (let i = keys.length - 1; i >= 0; i--) {
      const entry = this.written.get(keys[i]!);
      if (entry && entry.expiresAt > now) {
        read = totals[i]!;
        entry.expiresAt = Math.max(entry.expiresAt, now + TTL_MS['5m']);
        break;
      }
    }
    const min = minCacheableTokensOf(body.model);
    let upTo = 0;
    blocks.forEach((block, i) => {
      if (!block.breakpoint || totals[i]! < min) return;
      const expiresAt = now + TTL_MS[block.breakpoint];
      const existing = this.written.get(keys[i]!);
      this.written.set(keys[i]!, { tokens: totals[i]!, expiresAt: Math.max(expiresAt, existing?.expiresAt ?? 0) });
      upTo = Math.max(upTo, totals[i]!);
    });
    const write = Math.max(0, upTo - read);
    return { input_tokens: Math.max(0, total - read - write), cache_creation_input_tokens: write, cache_read_input_tokens: read };
  }

  private blocksOf(body: CacheableRequest): { key: string; tokens: number; breakpoint?: '5m' | '1h' }[] {
    const system: unknown[] = Array.isArray(body.system) ? (body.system as unknown[]) : body.system ? [{ type: 'text', text: body.system }] : [];
    // Message blocks are cached under the thinking parameters they were sent with.
    const thinking = JSON.stringify(body.thinking ?? null);
    const out: { key: string; tokens: number; breakpoint?: '5m' | '1h' }[] = [];
    const add = (block: unknown, prefix: string): void => {
      const { cache_control, ...rest } = block as { cache_control?: { ttl?: '5m' | '1h' } };
      const text = JSON.stringify(rest);
      out.push({ key: `${prefix}${text}\u0000`, tokens: Math.ceil(text.length / this.charsPerToken), ...(cache_control ? { breakpoint: cache_control.ttl ?? '5m' } : {}) });
    };
    for (const tool of body.tools ?? []) add(tool, 'tool:');
    for (const block of system) add(block, 'system:');
    for (const m of body.messages) {
      for (const block of typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content) add(block, `${thinking}:${m.role}:`);
    }
    return out;
  }
}
