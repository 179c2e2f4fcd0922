import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent } from '../../src/agent/agentEvents';
import type { ChatMessage } from '../../src/agent/chatMessage';
import { ZERO_USAGE } from '../../src/agent/pricing';
import { AgentSession, type AgentSettings, type ApprovalRequest } from '../../src/agent/agentSession';
import { anthropicMessagesApi } from '../../src/agent/anthropicMessagesApi';
import type { MessagesApi } from '../../src/agent/messagesApi';
import { registerWorkspaceTools } from '../../src/agent/tools/builtinTools';
import type { Tool } from '../../src/agent/tools/tool';
import { ToolRegistry } from '../../src/agent/tools/toolRegistry';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { silentLogger } from '../../src/common/logger';
import { startFakeMessagesApi, type FakeApiOptions, type FakeMessagesApi, type Script } from '../support/fakeMessagesApi';

export const DEFAULT_SETTINGS: AgentSettings = {
  model: 'claude-sonnet-5-5',
  maxTokens: 4096,
  thinking: false,
  costCapUsd: 5,
  contextBudgetTokens: 150_000,
  prices: {},
};

export interface Harness {
  server: FakeMessagesApi;
  session: AgentSession;
  events: AgentEvent[];
  approvals: ApprovalRequest[];
  workspace: string;
  settings: AgentSettings;
  close(): Promise<void>;
}

/** A real SDK client against our loopback Messages API, with a temporary workspace. */
export async function startHarness(
  script: Script,
  options: {
    approve?: (r: ApprovalRequest) => boolean | Promise<boolean>;
    settings?: Partial<AgentSettings>;
    trusted?: boolean;
    files?: Record<string, string>;
    maxRetries?: number;
    /** Feature tools beside the workspace ones (kernels, GPUs), as the chat registers them. */
    extraTools?: readonly Tool[];
    /** How the loopback API behaves (context window, token counting...). */
    api?: FakeApiOptions;
    /** The session's own retries of errors inside a stream; short here so tests stay fast. */
    retryDelaysMs?: readonly number[];
    systemPrompt?: string;
    /** A conversation to continue (as the chat restores one from its store). */
    restored?: ChatMessage[];
    /** Where requests go, read at each request (the editor's base URL setting); default the loopback server. */
    baseURL?: (server: FakeMessagesApi) => string;
    /** Another provider in place of the Anthropic one built on the loopback server (providers/modelProvider.ts). */
    provider?: (anthropic: MessagesApi) => MessagesApi;
  } = {},
): Promise<Harness> {
  const server = await startFakeMessagesApi(script, options.api);
  const workspace = mkdtempSync(join(tmpdir(), 'mle-agent-'));
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(workspace, name), text);
  const files = new WorkspaceFiles([{ name: 'ws', path: workspace }]);
  const registry = new ToolRegistry();
  registerWorkspaceTools(registry);
  for (const tool of options.extraTools ?? []) registry.register(tool);
  const events: AgentEvent[] = [];
  const approvals: ApprovalRequest[] = [];
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const anthropic = anthropicMessagesApi(Anthropic, () => ({ apiKey: 'sk-ant-test-key-0123456789', baseURL: options.baseURL?.(server) ?? server.baseURL, maxRetries: options.maxRetries ?? 3 }));
  const api = options.provider?.(anthropic) ?? anthropic;
  const session = new AgentSession({
    api,
    tools: registry.available(options.trusted ?? true),
    context: { files, applyChange: (change) => files.writeTextAtomic(change.absolutePath, change.after) },
    approve: async (request) => {
      approvals.push(request);
      return (await options.approve?.(request)) ?? false;
    },
    emit: (event) => events.push(event),
    settings: () => settings,
    systemPrompt: options.systemPrompt ?? 'You are a test agent.',
    log: silentLogger,
    retryDelaysMs: options.retryDelaysMs ?? [50, 100, 200],
  }, options.restored ? { messages: options.restored, totals: { usage: ZERO_USAGE, costUsd: 0, contextTokens: 0 } } : undefined);
  return { server, session, events, approvals, workspace, settings, close: () => server.close() };
}

export function textOf(events: readonly AgentEvent[]): string {
  return events.filter((e): e is Extract<AgentEvent, { type: 'textDelta' }> => e.type === 'textDelta').map((e) => e.text).join('');
}
