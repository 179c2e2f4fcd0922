import { randomUUID } from 'node:crypto';
import type { ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { AgentEvent, TurnEndReason } from './agentEvents';
import type { ChatMessage } from './chatMessage';
import { estimateTokens, estimateToolsTokens, SUMMARY_MARK, summaryCut, tokenRatio, transcriptForSummary, trimOldToolResults } from './contextBudget';
import { LoopGuard } from './loopGuard';
import { causeOf, describeApiError, type MessagesApi, type MessagesRequest } from './messagesApi';
import { minCacheableTokens, thinkingDisplayFor } from './models';
import { addUsage, costOf, totalInput, ZERO_USAGE, type ModelPrice } from './pricing';
import { withCacheBreakpoints } from './promptCache';
import { StreamAccumulator, type StopDetails, type TurnUsage } from './streamAccumulator';
import { isToolInputError, type FileChange, type Tool, type ToolContext, type ToolImage } from './tools/tool';
import { ToolRegistry, type ApiTool } from './tools/toolRegistry';

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
  /** Whoever answers: Anthropic, an OpenAI-compatible endpoint, or VS Code's Language Model API (providers/). */
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
  /**
   * Waits before each automatic retry of a request that failed before anything was shown (an
   * `event: error` such as overloaded_error inside a 200 stream, a dropped connection). The
   * SDK has already retried HTTP error statuses itself. Default 1, 2 and 4 seconds.
   */
  readonly retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [1000, 2000, 4000];
/** A prefix written to the cache lives 5 minutes from its last use; warm it again after 4. */
const WARM_AFTER_MS = 4 * 60 * 1000;

export interface ConversationTotals {
  usage: TurnUsage;
  costUsd: number;
  /** Input tokens of the last request: how full the context is. */
  contextTokens: number;
  /** Some request's model had no known price (a local or gateway model): costUsd counts only the priced ones. */
  costUnknown?: boolean;
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
  /** The tool definitions as sent: built once, so every request carries the same bytes (a cacheable prefix). */
  private readonly apiTools: ApiTool[];
  /** Real input tokens over estimated ones, from the last request's usage (contextBudget.ts tokenRatio). */
  private tokenRatio = 1;
  /** When the last request left (Date.now()), for warmCache. */
  private lastRequestAt = 0;

  constructor(
    private readonly deps: AgentDependencies,
    restored?: { messages: ChatMessage[]; totals: ConversationTotals },
  ) {
    this.messages = restored?.messages ?? [];
    this.totals = restored?.totals ?? { usage: ZERO_USAGE, costUsd: 0, contextTokens: 0 };
    this.toolsByName = new Map(deps.tools.map((t) => [t.name, t]));
    this.apiTools = ToolRegistry.toApi(deps.tools);
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
    const before = this.snapshot();
    this.addUserText(text);
    return this.run(signal, before);
  }

  /** Runs the model again on the conversation as it is (after an error, or to continue). */
  async resume(signal: AbortSignal): Promise<TurnEndReason> {
    const before = this.snapshot();
    if (this.messages.at(-1)?.role !== 'user') this.addUserText('Continue.');
    return this.run(signal, before);
  }

  /**
   * Speculative prompt caching: while the user types the first question (or after the cache has
   * expired), one request of a single output token writes the prefix the next request will start
   * with (tools, system prompt with the workspace facts, the conversation so far) to the cache,
   * so that request reads it instead of writing it. Skipped when a request left in the last 4
   * minutes (the prefix is still cached) or the prefix is shorter than the model caches. Never
   * shown; its cost counts toward the conversation's. Resolves whether it was sent.
   */
  async warmCache(signal: AbortSignal): Promise<boolean> {
    const settings = this.deps.settings();
    if (!this.deps.api.capabilities.promptCaching) return false;
    if (Date.now() - this.lastRequestAt < WARM_AFTER_MS) return false;
    if (this.estimatedRequestTokens(this.messages) < minCacheableTokens(settings.model)) return false;
    const request = this.requestFor(settings, this.messages);
    // A placeholder turn after the cached prefix; consecutive user turns are merged by the API.
    request.messages = [...request.messages, { role: 'user', content: [{ type: 'text', text: '(The user is still typing. Reply with one word.)' }] }];
    request.max_tokens = 1;
    // Thinking settings key the cached messages, not the tools and system prompt: with no messages yet, leave them out.
    if (this.messages.length === 0) delete request.thinking;
    this.lastRequestAt = Date.now();
    const accumulator = new StreamAccumulator();
    try {
      for await (const event of this.deps.api.stream(request, signal)) accumulator.apply(event);
    } catch (error) {
      this.deps.log.debug(`cache warm-up failed: ${describeError(error)}`);
      return false;
    } finally {
      this.recordUsage('warm-up', settings, accumulator);
    }
    return true;
  }

  private snapshot(): ChatMessage[] {
    return this.messages.map((m) => ({ ...m, content: [...m.content] }));
  }

  /** A user turn; after a turn that left the user's side last (an empty answer, a refusal), the text joins it so roles alternate. */
  private addUserText(text: string): void {
    const last = this.messages.at(-1);
    if (last?.role === 'user') last.content = [...last.content, { type: 'text', text }];
    else this.messages.push({ role: 'user', content: [{ type: 'text', text }] });
  }

  private async run(signal: AbortSignal, before: ChatMessage[]): Promise<TurnEndReason> {
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

      if (accumulator.stopReason === 'refusal') {
        // The API's advice: a refused turn must leave the context, or every later request is refused too.
        this.messages.splice(0, this.messages.length, ...before);
        this.deps.emit({ type: 'notice', level: 'warning', message: refusalMessage(accumulator.stopDetails) });
        return end('refusal');
      }
      if (accumulator.stopReason !== 'tool_use') {
        const unrun = accumulator.toolCalls().length;
        if (accumulator.stopReason === 'max_tokens' || accumulator.stopReason === 'model_context_window_exceeded') {
          const limit = accumulator.stopReason === 'max_tokens' ? `the ${settings.maxTokens}-token limit (mlEngineer.agent.maxTokens)` : "the model's context window";
          this.deps.emit({
            type: 'notice',
            level: 'warning',
            message: `The answer reached ${limit} and was cut off${unrun ? `; its ${unrun === 1 ? 'tool call was' : `${unrun} tool calls were`} not run` : ''}.`,
          });
        }
        return end(accumulator.stopReason === 'model_context_window_exceeded' ? 'max_tokens' : (accumulator.stopReason ?? 'end_turn'));
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
    const delays = this.deps.retryDelaysMs ?? RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      const accumulator = new StreamAccumulator();
      const request = await this.buildRequest(turnId, settings, signal);
      const estimated = this.estimatedRequestTokens(this.messages);
      this.lastRequestAt = Date.now();
      try {
        for await (const event of this.deps.api.stream(request, signal)) {
          const applied = accumulator.apply(event);
          if (!applied) continue;
          if (applied.thinkingStarted) this.deps.emit({ type: 'thinking', turnId, state: 'started' });
          if (applied.text) this.deps.emit({ type: 'textDelta', turnId, text: applied.text });
          if (applied.thinking) this.deps.emit({ type: 'thinkingDelta', turnId, text: applied.thinking });
          if (applied.thinkingStopped) this.deps.emit({ type: 'thinking', turnId, state: 'stopped' });
        }
        if (accumulator.stopReason === null) throw new Error('The stream ended before the message was complete (terminated).');
      } catch (error) {
        this.recordUsage(turnId, settings, accumulator);
        const partial = accumulator.content({ withToolCalls: false });
        if (signal.aborted) {
          if (partial.length > 0) this.messages.push({ role: 'assistant', content: partial });
          return { kind: 'cancelled' };
        }
        const described = (this.deps.api.describeError ?? describeApiError)(error);
        const cause = causeOf((error as { cause?: unknown } | null)?.cause);
        const to = this.deps.api.endpoint?.();
        this.deps.log.warn(`model request failed (attempt ${attempt + 1}${to ? `, ${to}` : ''}): ${describeError(error)}${cause ? ` (cause: ${cause})` : ''}${described.requestId ? ` [${described.requestId}]` : ''}`);
        // Nothing was shown yet: an overloaded or failing API, or a dropped connection, is tried again after a pause.
        if (!accumulator.hasOutput() && described.retryable && !described.sdkRetried && attempt < delays.length) {
          if (await pause(delays[attempt]!, signal)) continue;
          return { kind: 'cancelled' };
        }
        if (partial.length > 0) this.messages.push({ role: 'assistant', content: partial });
        this.deps.emit({
          type: 'notice',
          level: 'error',
          message: described.message,
          ...(described.retryable ? { action: 'retry' as const } : {}),
          ...(described.requestId ? { requestId: described.requestId } : {}),
        });
        return { kind: 'error' };
      }
      // A refused answer is never kept (the turn leaves the context); calls that will not run are left out.
      const content = accumulator.stopReason === 'refusal' ? [] : accumulator.content({ withToolCalls: accumulator.stopReason === 'tool_use' });
      if (content.length > 0) this.messages.push({ role: 'assistant', content });
      this.recordUsage(turnId, settings, accumulator);
      this.tokenRatio = tokenRatio(totalInput(accumulator.usage), estimated);
      return { kind: 'ok', accumulator };
    }
  }

  /** Estimated input tokens of a request with these messages: tools, system prompt and conversation. */
  private estimatedRequestTokens(messages: readonly ChatMessage[]): number {
    return estimateTokens(messages, this.deps.systemPrompt) + estimateToolsTokens(this.apiTools);
  }

  private async buildRequest(turnId: string, settings: AgentSettings, signal: AbortSignal): Promise<MessagesRequest> {
    const system = this.deps.systemPrompt;
    // The budget in the estimate's units: corrected by what the API counted last time, less the tools every request carries.
    const budget = settings.contextBudgetTokens / this.tokenRatio - estimateToolsTokens(this.apiTools);
    if (estimateTokens(this.messages, system) > budget) {
      // Old tool outputs go first; the kept form is the next requests' cached prefix.
      const trimmed = trimOldToolResults(this.messages, budget, system);
      if (trimmed.trimmed > 0) {
        this.messages.splice(0, this.messages.length, ...trimmed.messages);
        this.deps.emit({ type: 'notice', level: 'info', message: `Trimmed ${trimmed.trimmed} old tool output(s) to stay within the context window.` });
      }
      if (trimmed.tokens > budget) await this.summariseOldest(turnId, settings, signal);
    }
    return this.requestFor(settings, this.messages);
  }

  private requestFor(settings: AgentSettings, messages: readonly ChatMessage[]): MessagesRequest {
    const { capabilities } = this.deps.api;
    const cached = capabilities.promptCaching
      ? withCacheBreakpoints(this.deps.systemPrompt, this.apiTools, messages)
      : { system: [{ type: 'text' as const, text: this.deps.systemPrompt }], tools: this.apiTools, messages: [...messages] };
    const display = thinkingDisplayFor(settings.model);
    return {
      model: settings.model,
      max_tokens: settings.maxTokens,
      system: cached.system,
      tools: cached.tools,
      messages: cached.messages,
      // Models that omit thinking by default stream only a signature: ask for the summary to show.
      ...(settings.thinking && capabilities.thinking ? { thinking: { type: 'adaptive' as const, ...(display ? { display } : {}) } } : {}),
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
    const price = this.deps.api.priceOf(settings.model, settings.prices);
    const cost = costOf(usage, price);
    // Once a request's price was unknown, the conversation's total is a lower bound: said so until a new chat.
    const costUnknown = price === undefined || this.totals.costUnknown === true;
    this.totals = {
      usage: addUsage(this.totals.usage, usage),
      costUsd: this.totals.costUsd + cost,
      contextTokens: totalInput(usage) + usage.output_tokens,
      ...(costUnknown ? { costUnknown: true } : {}),
    };
    this.deps.emit({
      type: 'usage',
      turnId,
      usage,
      costUsd: cost,
      conversationCostUsd: this.totals.costUsd,
      contextTokens: this.totals.contextTokens,
      ...(price === undefined ? { costUnknown: true as const } : {}),
    });
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
      const allowCovers = tool.risk === 'read' ? {} : { allowCovers: scope !== undefined ? ('same' as const) : ('any' as const) };
      this.deps.emit({ type: 'toolCall', turnId, callId: call.id, name: call.name, input, risk: tool.risk, confirmation, ...(change ? { changePath: change.path } : {}), ...allowCovers });

      if (tool.risk !== 'read') {
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: 'awaiting-approval' });
        const approved = await this.deps.approve({ callId: call.id, tool, input, confirmation, ...(change ? { change } : {}), ...(scope !== undefined ? { scope } : {}) }, signal).catch(() => false);
        if (!approved || signal.aborted) tool.declined?.(input, this.deps.context);
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
        // By name: a feature's tools throw their bundle's own copy of ToolInputError.
        const message = isToolInputError(error) ? error.message : `${call.name} failed: ${describeError(error)}`;
        if (!isToolInputError(error)) this.deps.log.error(`tool ${call.name} failed: ${describeError(error)}`);
        result(message, true);
        this.deps.emit({ type: 'toolStatus', callId: call.id, status: signal.aborted ? 'cancelled' : 'error', summary: message });
      }
    }
    return { results, ...(loopDetected ? { loopDetected } : {}) };
  }
}

/** Waits, or stops waiting when the user cancels; true when the wait ran out. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A refusal in words, with the API's explanation when it gave one. */
function refusalMessage(details: StopDetails | undefined): string {
  const why = details?.explanation?.trim();
  return `Claude declined to answer this request${details?.category ? ` (${details.category.replace(/_/g, ' ')})` : ''}${why ? `: ${why.replace(/\.$/, '')}` : ''}. It is left out of what the model sees from now on (anything already done in this turn stays done); rephrase it, or start a new chat.`;
}
