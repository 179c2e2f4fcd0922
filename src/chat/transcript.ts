// The chat as the view shows it, built from agent events by one reducer that both the
// extension host (to save it) and the webview (to draw it) run. No Node or DOM imports.
import type { AgentEvent, ToolCallStatus, TurnEndReason } from '../agent/agentEvents';
import { layOutSql } from './sqlLayout';

export type TranscriptItem =
  | { kind: 'user'; id: string; text: string }
  | {
      kind: 'assistant';
      id: string;
      text: string;
      thinking?: string;
      /** A thinking block is open: shown as "Thinking…" (models that omit thinking send no text for it). */
      thinkingNow?: boolean;
      streaming: boolean;
      endReason?: TurnEndReason;
      /** What this turn cost, shown under its last bubble. */
      usage?: { costUsd: number; inputTokens: number; outputTokens: number; cachedTokens: number; /** No price is known for the model. */ costUnknown?: boolean };
    }
  | {
      kind: 'tool';
      id: string;
      name: string;
      risk: 'read' | 'write' | 'execute';
      title: string;
      input: string;
      status: ToolCallStatus | 'pending';
      summary?: string;
      output?: string;
      hasDiff: boolean;
      /** Code the tool ran (run_in_kernel, run_command's script...), kept whole so it can become a notebook cell. */
      code?: string;
      /** The code's language when it is not Python: query_dataset's SQL (shown, never offered as a cell). */
      codeLanguage?: 'sql';
      /** What "Allow for this chat" covers, said on its button. */
      allowCovers?: 'same' | 'any';
    }
  | {
      kind: 'notice';
      id: string;
      level: 'info' | 'warning' | 'error';
      message: string;
      action?: 'raise-cost-cap' | 'continue-after-loop' | 'retry';
      resolved?: boolean;
      /** The API's request id, kept for support. */
      requestId?: string;
    };

export interface TranscriptTotals {
  costUsd: number;
  contextTokens: number;
  /** Some request's model had no known price: costUsd counts only the priced ones. */
  costUnknown?: boolean;
}

const OUTPUT_KEPT = 20_000;

/** Applies one agent event to the transcript (in place) and returns the item it touched. */
export function applyAgentEvent(items: TranscriptItem[], event: AgentEvent, totals?: TranscriptTotals): TranscriptItem | undefined {
  switch (event.type) {
    case 'assistantStart':
      return push(items, { kind: 'assistant', id: event.turnId, text: '', streaming: true });
    case 'textDelta':
    case 'thinkingDelta':
    case 'thinking': {
      let item = lastAssistant(items, event.turnId);
      // After tool cards, the model's next words start a new bubble below them.
      if (!item || items.at(-1) !== item) item = push(items, { kind: 'assistant', id: `${event.turnId}:${items.length}`, text: '', streaming: true }) as Extract<TranscriptItem, { kind: 'assistant' }>;
      if (event.type === 'textDelta') item.text += event.text;
      else if (event.type === 'thinkingDelta') item.thinking = (item.thinking ?? '') + event.text;
      else if (event.state === 'started') item.thinkingNow = true;
      else delete item.thinkingNow;
      return item;
    }
    case 'toolCall':
      return push(items, {
        kind: 'tool',
        id: event.callId,
        name: event.name,
        risk: event.risk,
        title: event.confirmation ?? event.name,
        input: clip(JSON.stringify(event.input, null, 2) ?? '', 4000),
        status: 'pending',
        hasDiff: event.changePath !== undefined,
        ...(event.allowCovers ? { allowCovers: event.allowCovers } : {}),
        ...codeOf(event.input),
      });
    case 'toolStatus': {
      const item = items.find((i): i is Extract<TranscriptItem, { kind: 'tool' }> => i.kind === 'tool' && i.id === event.callId);
      if (!item) return undefined;
      item.status = event.status;
      if (event.summary !== undefined) item.summary = event.summary;
      if (event.output !== undefined) item.output = clip(event.output, OUTPUT_KEPT);
      return item;
    }
    case 'usage': {
      if (totals) {
        totals.costUsd = event.conversationCostUsd;
        totals.contextTokens = event.contextTokens;
        if (event.costUnknown) totals.costUnknown = true;
      }
      const first = items.find((i): i is Extract<TranscriptItem, { kind: 'assistant' }> => i.kind === 'assistant' && i.id === event.turnId);
      if (!first) return undefined;
      const u = (first.usage ??= { costUsd: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0 });
      u.costUsd += event.costUsd;
      if (event.costUnknown) u.costUnknown = true;
      u.inputTokens += event.usage.input_tokens + event.usage.cache_creation_input_tokens + event.usage.cache_read_input_tokens;
      u.outputTokens += event.usage.output_tokens;
      u.cachedTokens += event.usage.cache_read_input_tokens;
      return undefined;
    }
    case 'notice':
      return push(items, {
        kind: 'notice',
        id: `notice-${items.length}`,
        level: event.level,
        message: event.message,
        ...(event.action ? { action: event.action } : {}),
        ...(event.requestId ? { requestId: event.requestId } : {}),
      });
    case 'turnEnd': {
      for (const item of items) {
        if (item.kind !== 'assistant') continue;
        item.streaming = false;
        delete item.thinkingNow;
      }
      const last = [...items].reverse().find((i): i is Extract<TranscriptItem, { kind: 'assistant' }> => i.kind === 'assistant');
      if (last) last.endReason = event.reason;
      // The turn's cost is counted on its first bubble; show it under the last one.
      const first = items.find((i): i is Extract<TranscriptItem, { kind: 'assistant' }> => i.kind === 'assistant' && i.id === event.turnId);
      if (first?.usage && last && first !== last) {
        last.usage = first.usage;
        delete first.usage;
      }
      // Remove bubbles that never received text (a turn that went straight to a tool).
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i]!;
        if (item.kind === 'assistant' && item.text === '' && !item.thinking && item !== last) items.splice(i, 1);
      }
      return last;
    }
  }
}

function push(items: TranscriptItem[], item: TranscriptItem): TranscriptItem {
  items.push(item);
  return item;
}

function lastAssistant(items: TranscriptItem[], turnId: string): Extract<TranscriptItem, { kind: 'assistant' }> | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.kind === 'assistant' && item.id.startsWith(turnId)) return item;
  }
  return undefined;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[… ${text.length - max} more characters]`;
}

/** A conversation's title: its first user message, shortened. */
export function titleOf(items: readonly TranscriptItem[]): string {
  const first = items.find((i) => i.kind === 'user');
  const text = first?.kind === 'user' ? first.text.replace(/\s+/g, ' ').trim() : '';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text || 'New chat';
}

/** The code a call runs, for its card: an input named `code` (Python), or `sql` (query_dataset), laid out for reading. */
function codeOf(input: unknown): { code?: string; codeLanguage?: 'sql' } {
  const { code, sql } = (input ?? {}) as { code?: unknown; sql?: unknown };
  if (typeof code === 'string') return code.length <= 200_000 ? { code } : {};
  return typeof sql === 'string' && sql.length <= 200_000 ? { code: layOutSql(sql), codeLanguage: 'sql' } : {};
}
