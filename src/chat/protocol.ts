// zod/mini: the same validation at a tenth of the bundle size and load time of 'zod' (measured: 38 KB vs 443 KB).
import * as z from 'zod/mini';
import type { AgentEvent } from '../agent/agentEvents';
import type { ConversationSummary } from './conversationStore';
import type { TranscriptItem, TranscriptTotals } from './transcript';

/**
 * The chat webview's messages, one union each way. Both bundles import this file; the host
 * validates every incoming message with `parseFromWebview` because a webview is untrusted:
 * model output renders inside it.
 */
const id = z.string().check(z.regex(/^[\w:-]{1,100}$/));

export const fromWebviewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('setApiKey') }),
  z.strictObject({ type: z.literal('checkEnvironment') }),
  z.strictObject({ type: z.literal('send'), text: z.string().check(z.minLength(1), z.maxLength(200_000)) }),
  /** The user started typing: the host may warm the prompt cache (speculative prompt caching). */
  z.strictObject({ type: z.literal('composing') }),
  z.strictObject({ type: z.literal('stop') }),
  z.strictObject({ type: z.literal('newChat') }),
  z.strictObject({ type: z.literal('openConversation'), id }),
  z.strictObject({ type: z.literal('deleteConversation'), id }),
  z.strictObject({ type: z.literal('approve'), callId: id, scope: z.enum(['once', 'conversation']) }),
  z.strictObject({ type: z.literal('deny'), callId: id }),
  z.strictObject({ type: z.literal('showDiff'), callId: id }),
  z.strictObject({ type: z.literal('noticeAction'), action: z.enum(['raise-cost-cap', 'continue-after-loop', 'retry']) }),
  // A code block is named by its message and the SHA-256 of its code: the host takes the code
  // from the Markdown it stored (codeBlocks.ts), never from the webview.
  z.strictObject({ type: z.literal('codeAction'), action: z.enum(['copy', 'insert', 'insertCell', 'runInKernel']), itemId: id, digest: z.string().check(z.regex(/^[0-9a-f]{64}$/)) }),
  z.strictObject({ type: z.literal('loadOlder'), beforeId: id }),
  /** Copy a failed request's id (for support): named by its notice, taken from the host's copy. */
  z.strictObject({ type: z.literal('copyRequestId'), itemId: id }),
  z.strictObject({ type: z.literal('selectProvider'), provider: z.enum(['anthropic', 'openai-compatible', 'vscode-lm']) }),
  z.strictObject({ type: z.literal('selectModel'), model: z.string().check(z.regex(/^[\w.:@/-]{1,100}$/)) }),
  z.strictObject({ type: z.literal('openLink'), href: z.string().check(z.maxLength(2000)) }),
  z.strictObject({ type: z.literal('mentionQuery'), query: z.string().check(z.maxLength(200)) }),
]);

export type FromWebview = z.infer<typeof fromWebviewSchema>;

export interface ChatViewState {
  /** The provider can answer: an Anthropic key is set, or another provider (which needs none, or an optional one) is picked. */
  readonly hasApiKey: boolean;
  readonly provider: 'anthropic' | 'openai-compatible' | 'vscode-lm';
  readonly providers: readonly { readonly kind: 'anthropic' | 'openai-compatible' | 'vscode-lm'; readonly label: string }[];
  readonly model: string;
  readonly models: readonly string[];
  readonly conversations: readonly ConversationSummary[];
  readonly activeId: string | undefined;
  readonly busy: boolean;
  readonly totals: TranscriptTotals;
  /** The model's context window, for the meter. */
  readonly contextWindow: number;
  readonly costCapUsd: number;
  readonly trusted: boolean;
}

export type ToWebview =
  | { type: 'state'; state: ChatViewState }
  /** A conversation's newest items; `olderCount` more come page by page as the view asks (`loadOlder`). */
  | { type: 'transcript'; items: TranscriptItem[]; olderCount: number }
  | { type: 'olderItems'; beforeId: string; items: TranscriptItem[]; olderCount: number }
  | { type: 'userMessage'; item: Extract<TranscriptItem, { kind: 'user' }> }
  /**
   * Agent events in order (several when they came faster than the view took them; webviewOutbox.ts).
   * `hostAt`: when the host had the first (performance clock, epoch ms), only while MLE_CHAT_TRACE=1
   * (the chat bench's hop breakdown).
   */
  | { type: 'agentEvents'; events: AgentEvent[]; hostAt?: number }
  | { type: 'mentionResults'; query: string; items: string[] };

export type ParsedMessage = { ok: true; message: FromWebview } | { ok: false; problem: string };

export function parseFromWebview(raw: unknown): ParsedMessage {
  const result = fromWebviewSchema.safeParse(raw);
  if (result.success) return { ok: true, message: result.data };
  const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String(raw.type).slice(0, 40) : typeof raw;
  return { ok: false, problem: `rejected webview message (${type}): ${result.error.issues[0]?.message ?? 'invalid'}` };
}
