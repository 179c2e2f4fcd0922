import type { TurnUsage } from './streamAccumulator';
import type { ToolRisk } from './tools/tool';

export type ToolCallStatus = 'awaiting-approval' | 'running' | 'done' | 'error' | 'denied' | 'cancelled';

export type TurnEndReason = 'end_turn' | 'max_tokens' | 'refusal' | 'pause_turn' | 'stop_sequence' | 'cancelled' | 'error' | 'cost_cap' | 'loop';

/** What the agent tells the view, in order, as it works. */
export type AgentEvent =
  | { type: 'assistantStart'; turnId: string }
  | { type: 'textDelta'; turnId: string; text: string }
  | { type: 'thinkingDelta'; turnId: string; text: string }
  /** A thinking block opened or closed; models that omit their thinking send no text between the two. */
  | { type: 'thinking'; turnId: string; state: 'started' | 'stopped' }
  | { type: 'toolCall'; turnId: string; callId: string; name: string; input: unknown; risk: ToolRisk; confirmation?: string; /** Set when the call proposes a file change (the diff can be shown). */ changePath?: string; /** What "Allow for this chat" would cover: this same call again (Tool.approvalScope), or any call of the tool. */ allowCovers?: 'same' | 'any' }
  | { type: 'toolStatus'; callId: string; status: ToolCallStatus; summary?: string; output?: string }
  /** costUnknown: no price is known for the model (a local or gateway model); costUsd is then 0, not a real figure. */
  | { type: 'usage'; turnId: string; usage: TurnUsage; costUsd: number; conversationCostUsd: number; contextTokens: number; costUnknown?: true }
  | {
      type: 'notice';
      level: 'info' | 'warning' | 'error';
      message: string;
      action?: 'raise-cost-cap' | 'continue-after-loop' | 'retry';
      /** The API's request id, for support (shown with a Copy button). */
      requestId?: string;
    }
  | { type: 'turnEnd'; turnId: string; reason: TurnEndReason };
