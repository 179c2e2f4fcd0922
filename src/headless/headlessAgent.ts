import { basename } from 'node:path';
import type { AgentEvent, TurnEndReason } from '../agent/agentEvents';
import type { AgentSettings } from '../agent/agentSession';
import type { Anthropic as AnthropicSdk } from '../agent/lazy/anthropicSdk';
import { CONTEXT_WINDOW_TOKENS } from '../agent/models';
import type { ToolRisk } from '../agent/tools/tool';
import type { CliIo } from '../cli/subcommand';
import { EXIT } from '../cli/subcommand';
import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import { pythonCandidates } from '../python/pythonInterpreter';
import { terminalApprover, type TerminalIn } from './terminalApprovals';

export interface HeadlessOptions {
  readonly prompt: string;
  readonly folder: string;
  readonly apiKey: string;
  /** ANTHROPIC_BASE_URL: a gateway, a proxy, or the tests' loopback API. */
  readonly baseURL?: string;
  readonly model: string;
  /** Risks that run without asking; read always does. */
  readonly allowed: ReadonlySet<ToolRisk>;
  readonly json: boolean;
  readonly python?: string;
  readonly nvidiaSmi?: string;
}

/** One tool call as --json reports it. */
export interface HeadlessToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  readonly risk: ToolRisk;
  status: string;
  summary?: string;
}

/** What `ml-engineer ask --json` prints: one object, after the run. */
export interface HeadlessReport {
  readonly ok: boolean;
  readonly stop_reason: TurnEndReason;
  readonly model: string;
  readonly text: string;
  readonly tool_calls: HeadlessToolCall[];
  readonly notices: { level: string; message: string }[];
  readonly usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
  readonly cost_usd: number;
}

/** The reasons a run ended that are a success for a script. */
const SUCCESS: ReadonlySet<TurnEndReason> = new Set(['end_turn', 'stop_sequence']);

/**
 * `ml-engineer ask`: the chat's agent (AgentSession, the same tools through folderToolset, the same
 * system prompt) on one prompt in a terminal. Text streams to stdout as it comes; tool calls, their
 * outcomes and notices go to stderr; --json prints one report instead. Returns the exit code: 0 when
 * the model finished its answer, 1 when the run failed or was stopped (error, refusal, cost cap,
 * loop, max tokens), 130 when cancelled.
 */
export async function runHeadless(options: HeadlessOptions, io: CliIo, stdin: NodeJS.ReadableStream & TerminalIn, signal: AbortSignal): Promise<number> {
  const log: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => io.err(`warning: ${String(message)}\n`),
    error: (message) => io.err(`error: ${message instanceof Error ? message.message : message}\n`),
  };
  const [{ AgentSession }, { systemPrompt }, { anthropicMessagesApi }, { gatherWorkspaceFacts }, { folderToolset }, { shippedBundle }] = await Promise.all([
    import('../agent/agentSession'),
    import('../agent/systemPrompt'),
    import('../agent/anthropicMessagesApi'),
    import('../chat/workspaceFacts'),
    import('../toolset/folderToolset'),
    import('../toolset/shippedBundle'),
  ]);
  // The SDK from dist/lazy/anthropic.js, as the chat loads it: dist/cli.js carries no copy.
  const { Anthropic } = shippedBundle<{ Anthropic: typeof AnthropicSdk }>('anthropic', 'agent/lazy/anthropicSdk.ts');
  const toolset = folderToolset({ folder: options.folder, log, ...(options.python ? { python: options.python } : {}), ...(options.nvidiaSmi ? { nvidiaSmi: options.nvidiaSmi } : {}) });
  try {
    const facts = await gatherWorkspaceFacts([{ name: basename(toolset.folder) || toolset.folder, path: toolset.folder }], {
      pythonCandidates: pythonCandidates(options.python, undefined),
      nvidiaSmi: options.nvidiaSmi ?? 'nvidia-smi',
      signal,
    });
    const maxTokens = 8192;
    const settings: AgentSettings = { model: options.model, maxTokens, thinking: false, costCapUsd: 5, contextBudgetTokens: CONTEXT_WINDOW_TOKENS - maxTokens - 20_000, prices: {} };
    const report = new Report(options, io);
    const session = new AgentSession({
      api: anthropicMessagesApi(Anthropic, { apiKey: options.apiKey, ...(options.baseURL ? { baseURL: options.baseURL } : {}) }),
      tools: toolset.tools,
      context: toolset.context,
      approve: terminalApprover({ allowed: options.allowed, stdin, err: (text) => io.err(text) }),
      emit: (event) => report.on(event),
      settings: () => settings,
      systemPrompt: systemPrompt(facts),
      log,
    });
    const reason = await session.send(options.prompt, signal);
    const usage = session.totals.usage;
    report.finish(reason, {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    }, session.totals.costUsd);
    return reason === 'cancelled' ? EXIT.cancelled : SUCCESS.has(reason) ? EXIT.ok : EXIT.failure;
  } finally {
    await toolset.dispose().catch((error: unknown) => io.err(`error: stopping the tools: ${describeError(error)}\n`));
  }
}

/** Turns the session's events into the terminal's lines, or collects them for --json. */
class Report {
  private text = '';
  private readonly calls = new Map<string, HeadlessToolCall>();
  private readonly notices: { level: string; message: string }[] = [];
  private endsWithNewline = true;

  constructor(
    private readonly options: HeadlessOptions,
    private readonly io: CliIo,
  ) {}

  on(event: AgentEvent): void {
    switch (event.type) {
      case 'textDelta':
        this.text += event.text;
        if (!this.options.json) this.out(event.text);
        break;
      case 'toolCall':
        this.calls.set(event.callId, { id: event.callId, name: event.name, input: event.input, risk: event.risk, status: 'called' });
        if (!this.options.json) this.line(`→ ${event.name} ${compact(event.input)}`);
        break;
      case 'toolStatus': {
        const call = this.calls.get(event.callId);
        if (call) {
          call.status = event.status;
          if (event.summary !== undefined) call.summary = event.summary;
        }
        if (!this.options.json && event.status !== 'running' && event.status !== 'awaiting-approval') {
          this.line(`  ${event.status === 'done' ? '✓' : event.status === 'denied' ? '✗ declined' : event.status === 'cancelled' ? '✗ cancelled' : '✗'} ${event.summary ?? ''}`.trimEnd());
        }
        break;
      }
      case 'notice':
        this.notices.push({ level: event.level, message: event.message });
        if (!this.options.json) this.line(`${event.level}: ${event.message}${event.requestId ? ` (request id ${event.requestId})` : ''}`);
        break;
      default:
        break;
    }
  }

  finish(reason: TurnEndReason, usage: HeadlessReport['usage'], costUsd: number): void {
    if (this.options.json) {
      const report: HeadlessReport = {
        ok: SUCCESS.has(reason),
        stop_reason: reason,
        model: this.options.model,
        text: this.text,
        tool_calls: [...this.calls.values()],
        notices: this.notices,
        usage,
        cost_usd: Math.round(costUsd * 1e6) / 1e6,
      };
      this.io.out(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    if (!this.endsWithNewline) this.out('\n');
    if (!SUCCESS.has(reason)) this.io.err(`ml-engineer ask: stopped (${reason.replace(/_/g, ' ')})\n`);
  }

  private out(text: string): void {
    if (text === '') return;
    this.io.out(text);
    this.endsWithNewline = text.endsWith('\n');
  }

  /** A line on stderr, on a line of its own after streamed text. */
  private line(text: string): void {
    if (!this.endsWithNewline) this.out('\n');
    this.io.err(`${text}\n`);
  }
}

function compact(input: unknown): string {
  const json = JSON.stringify(input) ?? '';
  return json.length > 200 ? `${json.slice(0, 199)}…` : json;
}
