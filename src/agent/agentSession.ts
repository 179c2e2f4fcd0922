import { randomUUID } from 'node:crypto';
import type { ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { AgentEvent, TurnEndReason } from './agentEvents';
import type { ChatMessage } from './chatMessage';
import { estimateTokens, SUMMARY_MARK, summaryCut, transcriptForSummary, trimOldToolResults } from './contextBudget';
import { LoopGuard } from './loopGuard';
import { describeApiError, type MessagesApi } from './messagesApi';
import { addUsage, costOf, priceOf, totalInput, ZERO_USAGE, type ModelPrice } from './pricing';
import { withCacheBreakpoints } from './promptCache';
import { StreamAccumulator, type TurnUsage } from './streamAccumulator';
import { ToolInputError, type FileChange, type Tool, type ToolContext, type ToolImage } from './tools/tool';
import { ToolRegistry } from './tools/toolRegistry';

export interface AgentSettings {
  readonly model: string;
  readonly maxTokens: number;
  /** Extended (adaptive) thinking; thinking blocks are kept across tool turns as the API requires. */
  readonly thinking: boolean;
  /** Stop and ask when the conversation has cost this much (USD); 0 turns the cap off. */
  readonly costCapUsd: number;
  /** Trim old tool outputs when the estimated context passes this many tokens. */
  readonly contextBudgetTokens: number;
  readonly prices: Readonly<Record<string, ModelPrice>>;
}

export interface ApprovalRequest {
  readonly callId: string;
  readonly tool: Tool;
  readonly input: unknown;
  readonly confirmation: string;
  readonly change?: FileChange;
  /** Tool.approvalScope's answer: "Allow for this chat" covers calls with the same scope only. */
  readonly scope?: string;
}

export interface AgentDependencies {
  readonly api: MessagesApi;
  /** The tools this conversation may use (only read tools in an untrusted workspace). */
  readonly tools: readonly Tool[];
  readonly context: ToolContext;
  /** Asks the user; resolves true to run. Read tools are never asked about. */
  approve(request: ApprovalRequest, signal: AbortSignal): Promise<boolean>;
  emit(event: AgentEvent): void;
  settings(): AgentSettings;
  readonly systemPrompt: string;
  readonly log: Logger;
}

export interface ConversationTotals {
  usage: TurnUsage;
  costUsd: number;
  /** Input tokens of the last request: how full the context is. */
  contextTokens: number;
}

/**
 * One conversation with the agent: streams the model's answer, runs the tools it asks for
 * (with approval), and loops until the model is done, the user stops it, or a guard (cost
 * cap, repeated call) stops and asks. The conversation is never left invalid: every tool_use
 * gets a tool_result, and an interrupted answer is kept as far as it got.
 */
export class AgentSession {
  readonly messages: ChatMessage[];
  totals: ConversationTotals;
  private costCapRaisedTo = 0;
  private readonly loopGuard = new LoopGuard(3);
  private readonly toolsByName: ReadonlyMap<string, Tool>;

  constructor(
    private readonly deps: AgentDependencies,
    restored?: { messages: ChatMessage[]; totals: ConversationTotals },
  ) {
    this.messages = restored?.messages ?? [];
    this.totals = restored?.totals ?? { usage: ZERO_USAGE, costUsd: 0, contextTokens: 0 };
    this.toolsByName = new Map(deps.tools.map((t) => [t.name, t]));
  }

  /** The user allows spending past the cap: the cap moves up by its own size. */
  raiseCostCap(): void {
    const cap = this.deps.settings().costCapUsd;
    this.costCapRaisedTo = Math.max(this.costCapRaisedTo, this.totals.costUsd) + cap;
  }

  continueAfterLoop(): void {
    this.loopGuard.reset();
  }

  async send(text: string, signal: AbortSignal): Promise<TurnEndReason> {
    this.loopGuard.reset();
    this.messages.push({ role: 'user', content: [{ type: 'text', text }] });
    return this.run(signal);
  }

  /** Runs the model again on the conversation as it is (after an error, or to continue). */
  async resume(signal: AbortSignal): Promise<TurnEndReason> {
    const last = this.messages.at(-1);
    if (last?.role === 'assistant') this.messages.push({ role: 'user', content: [{ type: 'text', text: 'Continue.' }] });
    return this.run(signal);
  }

  private async run(signal: AbortSignal): Promise<TurnEndReason> {
    const turnId = randomUUID();
    const end = (reason: TurnEndReason): TurnEndReason => {
      this.deps.emit({ type: 'turnEnd', turnId, reason });
      return reason;
    };
    this.deps.emit({ type: 'assistantStart', turnId });
    for (;;) {
      const settings = this.deps.settings();
      const cap = Math.max(settings.costCapUsd, this.costCapRaisedTo);
      if (settings.costCapUsd > 0 && this.totals.costUsd >= cap) {
        this.deps.emit({
          type: 'notice',
          level: 'warning',
          message: `This conversation has cost about $${this.totals.costUsd.toFixed(2)}, past its cap of $${cap.toFixed(2)} (mlEngineer.agent.costCapUsd). Continue anyway?`,
          action: 'raise-cost-cap',
        });
        return end('cost_cap');
      }

      const streamed = await this.streamOnce(turnId, settings, signal);
      if (streamed.kind === 'cancelled') return end('cancelled');
      if (streamed.kind === 'error') return end('error');
      const accumulator = streamed.accumulator;

      if (accumulator.stopReason !== 'tool_use') {
        if (accumulator.stopReason === 'max_tokens') {
          this.deps.emit({ type: 'notice', level: 'warning', message: `The answer reached the ${settings.maxTokens}-token limit (mlEngineer.agent.maxTokens) and was cut off.` });
        }
        return end((accumulator.stopReason ?? 'end_turn') as TurnEndReason);
      }

      const { results, loopDetected } = await this.runTools(turnId, accumulator, signal);
      this.messages.push({ role: 'user', content: results });
      if (signal.aborted) return end('cancelled');
      if (loopDetected) {
        this.deps.emit({
          type: 'notice',
          level: 'warning',
          message: `The agent called ${loopDetected} with the same input three times. Stopped so it does not loop; continue if that was intended.`,
          action: 'continue-after-loop',
        });
        return end('loop');
      }
    }
  }

  private async streamOnce(
    turnId: string,
    settings: AgentSettings,
    signal: AbortSignal,
  ): Promise<{ kind: 'ok'; accumulator: StreamAccumulator } | { kind: 'cancelled' } | { kind: 'error' }> {
    // A connection that drops before anything arrived is retried once: nothing was shown or kept.
    for (let attempt = 0; ; attempt++) {
      const accumulator = new StreamAccumulator();
      const request = await this.buildRequest(turnId, settings, signal);
      try {
        for await (const event of this.deps.api.stream(request, signal)) {
          const delta = accumulator.apply(event);
          if (delta?.text) this.deps.emit({ type: 'textDelta', turnId, text: delta.text });
          else if (delta?.thinking) this.deps.emit({ type: 'thinkingDelta', turnId, text: delta.thinking });
        }
        if (accumulator.stopReason === null) throw new Error('The stream ended before the message was complete (terminated).');
      } catch (error) {
        const partial = accumulator.content().filter((b) => b.type !== 'tool_use');
        if (partial.length > 0) this.messages.push({ role: 'assistant', content: partial });
        this.recordUsage(turnId, settings, accumulator);
        if (signal.aborted) return { kind: 'cancelled' };
        const described = describeApiError(error);
        this.deps.log.warn(`model request failed (attempt ${attempt + 1}): ${describeError(error)}`);
        if (partial.length === 0 && described.retryable && attempt === 0 && !hasStatus(error)) continue;
        this.deps.emit({ type: 'notice', level: 'error', message: described.message, ...(described.retryable ? { action: 'retry' as const } : {}) });
        return { kind: 'error' };
      }
      this.messages.push({ role: 'assistant', content: accumulator.content() });
      this.recordUsage(turnId, settings, accumulator);
      return { kind: 'ok', accumulator };
    }
  }

  private async buildRequest(turnId: string, settings: AgentSettings, signal: AbortSignal) {
    const system = this.deps.systemPrompt;
    if (estimateTokens(this.messages, system) > settings.contextBudgetTokens) {
      // Old tool outputs go first; the kept form is the next requests' cached prefix.
      const trimmed = trimOldToolResults(this.messages, settings.contextBudgetTokens, system);
      if (trimmed.trimmed > 0) {
        this.messages.splice(0, this.messages.length, ...trimmed.messages);
        this.deps.emit({ type: 'notice', level: 'info', message: `Trimmed ${trimmed.trimmed} old tool output(s) to stay within the context window.` });
      }
      if (trimmed.tokens > settings.contextBudgetTokens) await this.summariseOldest(turnId, settings, signal);
    }
    const cached = withCacheBreakpoints(system, ToolRegistry.toApi(this.deps.tools), this.messages);
    return {
      model: settings.model,
      max_tokens: settings.maxTokens,
      system: cached.system,
      tools: cached.tools,
      messages: cached.messages,
      ...(settings.thinking ? { thinking: { type: 'adaptive' as const } } : {}),
    };
  }

  /** Still too long after trimming: the older half becomes a summary written by the model. */
  private async summariseOldest(turnId: string, settings: AgentSettings, signal: AbortSignal): Promise<void> {
    const cut = summaryCut(this.messages);
    if (cut < 0) return;
    const accumulator = new StreamAccumulator();
    const request = {
      model: settings.model,
      max_tokens: Math.min(settings.maxTokens, 4096),
      system: [{ type: 'text' as const, text: 'You write summaries of ML engineering conversations so the work can continue without them.' }],
      messages: [
        {
          role: 'user' as const,
          content: [
            {
              type: 'text' as const,
              text:
                'Summarise this earlier part of our conversation for yourself: the goal, data and metrics, what was tried and measured, ' +
                `decisions, files changed, and open questions. Be concise and specific.\n\n<conversation>\n${transcriptForSummary(this.messages.slice(0, cut))}\n</conversation>`,
            },
          ],
        },
      ],
    };
    try {
      for await (const event of this.deps.api.stream(request, signal)) accumulator.apply(event);
    } catch (error) {
      this.deps.log.warn(`summary failed, sending the conversation as it is: ${describeError(error)}`);
      return;
    }
    this.recordUsage(turnId, settings, accumulator);
    const summary = accumulator.text().trim();
    if (!summary) return;
    this.messages.splice(
      0,
      cut,
      { role: 'user', content: [{ type: 'text', text: `${SUMMARY_MARK}\n${summary}` }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Understood. I will continue from that summary.' }] },
    );
    this.deps.emit({ type: 'notice', level: 'info', message: `Summarised ${cut} earlier messages to stay within the context window.` });
  }

  private recordUsage(turnId: string, settings: AgentSettings, accumulator: StreamAccumulator): void {
    const usage = accumulator.usage;
    if (totalInput(usage) === 0 && usage.output_tokens === 0) return;
    const cost = costOf(usage, priceOf(settings.model, settings.prices));
    this.totals = { usage: addUsage(this.totals.usage, usage), costUsd: this.totals.costUsd + cost, contextTokens: totalInput(usage) + usage.output_tokens };
    this.deps.emit({ type: 'usage', turnId, usage, costUsd: cost, conversationCostUsd: this.totals.costUsd, contextTokens: this.totals.contextTokens });
  }

  private async runTools(turnId: string, accumulator: StreamAccumulator, signal: AbortSignal): Promise<{ results: ToolResultBlockParam[]; loopDetected?: string }> {
    const results: ToolResultBlockParam[] = [];
    let loopDetected: string | undefined;
    for (const call of accumulator.toolCalls()) {
      const result = (content: string, isError: boolean, images: readonly ToolImage[] = []): void => {
        const blocks: ToolResultBlockParam['content'] =
          images.length === 0
            ? content
            : [{ type: 'text', text: content }, ...images.map((i) => ({ type: 'image' as const, source: { type: 'base64' as const, media_type: i.mediaType, data: i.data } }))];
        results.push({ type: 'tool_result', tool_use_id: call.id, content: blocks, ...(isError ? { is_error: true } : {}) });
      };
      if (signal.aborted || loopDetected) {
        result(signal.aborted ? 'Cancelled by the user before it ran.' : 'Not run: the conversation was stopped for a repeated call.', true);
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'cancelled' });
        continue;
      }
      const tool = this.toolsByName.get(call.name);
      if (!tool) {
        result(`There is no tool named ${call.name} here. Available: ${[...this.toolsByName.keys()].join(', ')}.`, true);
        continue;
      }
      const parsed = call.input === undefined ? undefined : tool.input.safeParse(call.input);
      if (!parsed?.success) {
        const why = parsed ? parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ') : 'the input was not valid JSON';
        this.deps.emit({ type: 'toolCall', turnId, callId: call.id, name: call.name, input: call.input, risk: tool.risk });
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'error', summary: `Invalid input: ${why}` });
        result(`Invalid input for ${call.name}: ${why}`, true);
        continue;
      }
      const input = parsed.data;
      if (this.loopGuard.record(call.name, input)) loopDetected = call.name;

      let change: FileChange | undefined;
      let scope: string | undefined;
      try {
        change = tool.preview ? await tool.preview(input, this.deps.context) : undefined;
        scope = tool.risk !== 'read' ? await tool.approvalScope?.(input, this.deps.context) : undefined;
      } catch (error) {
        this.deps.emit({ type: 'toolCall', turnId, callId: call.id, name: call.name, input, risk: tool.risk });
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'error', summary: describeError(error) });
        result(describeError(error), true);
        continue;
      }
      const confirmation = tool.confirmation?.(input) ?? `${call.name}`;
      this.deps.emit({ type: 'toolCall', turnId, callId: call.id, name: call.name, input, risk: tool.risk, confirmation, ...(change ? { changePath: change.path } : {}) });

      if (tool.risk !== 'read') {
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'awaiting-approval' });
        const approved = await this.deps.approve({ callId: call.id, tool, input, confirmation, ...(change ? { change } : {}), ...(scope !== undefined ? { scope } : {}) }, signal).catch(() => false);
        if (signal.aborted) {
          result('Cancelled by the user before it ran.', true);
          this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'cancelled' });
          continue;
        }
        if (!approved) {
          result('The user declined this action. Ask what they would prefer, or continue without it.', true);
          this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'denied', summary: 'Declined' });
          continue;
        }
      }

      this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'running' });
      try {
        const outcome = await tool.run(input, this.deps.context, signal);
        result(outcome.content, outcome.isError === true, outcome.images);
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: outcome.isError ? 'error' : 'done', summary: outcome.summary, output: outcome.content });
      } catch (error) {
        const message = error instanceof ToolInputError ? error.message : `${call.name} failed: ${describeError(error)}`;
        if (!(error instanceof ToolInputError)) this.deps.log.error(`tool ${call.name} failed: ${describeError(error)}`);
        result(message, true);
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: signal.aborted ? 'cancelled' : 'error', summary: message });
      }
    }
    return { results, ...(loopDetected ? { loopDetected } : {}) };
  }
}

function hasStatus(error: unknown): boolean {
  return typeof (error as { status?: unknown }).status === 'number';
}
