import * as vscode from 'vscode';
import type { AgentEvent } from '../../agent/agentEvents';
import type { AgentSession, AgentSettings, ApprovalRequest, ConversationTotals } from '../../agent/agentSession';
import type { ChatMessage } from '../../agent/chatMessage';
import type { Anthropic as AnthropicSdk } from '../../agent/lazy/anthropicSdk';
import type { ModelProvider } from '../../agent/providers/modelProvider';
import type { OpenAI as OpenAiSdk } from '../../agent/lazy/openaiSdk';
import type { WorkspaceFacts } from '../../agent/systemPrompt';
import type { FileChange, Tool } from '../../agent/tools/tool';
import { apiBaseUrl, openaiCompatibleSettings } from '../../agent/vscode/agentSettings';

import { lazyBundle } from '../../common/lazyBundle';
import type { Logger } from '../../common/logger';
import { pythonCandidates } from '../../python/pythonInterpreter';
import { configuredPython } from '../../python/vscode/pythonExtension';
import type { ProviderAccess } from './chatProviders';
import { vscodeNotebookCells } from './notebookCells';

/** What one conversation's session is wired to: where its events go, how it asks, how it edits. */
export interface SessionHooks {
  emit(event: AgentEvent): void;
  approve(request: ApprovalRequest, signal: AbortSignal): Promise<boolean>;
  applyChange(change: FileChange): Promise<void>;
  settings(): AgentSettings;
}

/**
 * Builds the chat's agent sessions: the tools (the workspace's and the features'), the
 * workspace facts of the system prompt (gathered once per window, GPUs and Python included), the
 * SDK client, each loaded on first use so activation never pays for them.
 */
export class ChatSessionFactory {
  private facts: Promise<WorkspaceFacts> | undefined;
  private rg: Promise<string> | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly log: Logger,
    /** Tools other features contribute (GPUs, kernels, experiments, models). */
    private readonly featureTools: () => Tool[],
  ) {}

  async create(conversation: { messages: ChatMessage[]; totals: ConversationTotals }, access: ProviderAccess, hooks: SessionHooks): Promise<AgentSession> {
    // The agent core and the SDK load here, on the first message, never at activation.
    const [{ AgentSession }, { systemPrompt }, { ToolRegistry }, { registerWorkspaceTools }, { WorkspaceFiles }] = await Promise.all([
      import('../../agent/agentSession'),
      import('../../agent/systemPrompt'),
      import('../../agent/tools/toolRegistry'),
      import('../../agent/tools/builtinTools'),
      import('../../agent/tools/workspaceFiles'),
    ]);
    const registry = new ToolRegistry();
    registerWorkspaceTools(registry);
    for (const tool of this.featureTools()) registry.register(tool);
    const files = new WorkspaceFiles(workspaceRoots());
    const [facts, api, ripgrep] = await Promise.all([this.workspaceFacts(files.roots), this.provider(access), this.ripgrep()]);
    return new AgentSession(
      {
        api,
        tools: registry.available(vscode.workspace.isTrusted),
        context: { files, applyChange: (change) => hooks.applyChange(change), notebooks: vscodeNotebookCells, ripgrep },
        approve: (request, signal) => hooks.approve(request, signal),
        emit: (event) => hooks.emit(event),
        settings: () => hooks.settings(),
        systemPrompt: systemPrompt(facts),
        log: this.log,
      },
      conversation,
    );
  }

  /** The provider behind a session; each SDK loads here, on first use. */
  async provider(access: ProviderAccess): Promise<ModelProvider> {
    if (access.kind === 'vscode-lm') return (await import('../../agent/providers/vscode/languageModelProvider')).languageModelProvider(access.model ? { model: access.model } : {});
    if (access.kind === 'openai-compatible') {
      const { openaiCompatibleProvider } = await import('../../agent/providers/openai/openaiCompatibleProvider');
      const { OpenAI } = lazyBundle<{ OpenAI: typeof OpenAiSdk }>(this.extensionPath, 'openai')();
      // Read at every request, like the Anthropic base URL; the key never goes to the log.
      return openaiCompatibleProvider(OpenAI, () => ({ baseURL: openaiCompatibleSettings().baseUrl, ...(access.apiKey ? { apiKey: access.apiKey } : {}), keyCommand: 'ML Engineer: Set OpenAI-Compatible Endpoint API Key' }));
    }
    return this.anthropic(access.apiKey);
  }

  private async anthropic(apiKey: string): Promise<ModelProvider> {
    const { anthropicMessagesApi } = await import('../../agent/anthropicMessagesApi');
    const { Anthropic } = lazyBundle<{ Anthropic: typeof AnthropicSdk }>(this.extensionPath, 'anthropic')();
    // Read at every request: right after a window reload the user's settings may not have arrived yet.
    let said: string | undefined;
    return anthropicMessagesApi(Anthropic, () => {
      const baseURL = apiBaseUrl();
      if (said !== (baseURL ?? '')) {
        said = baseURL ?? '';
        const setting = vscode.workspace.getConfiguration('mlEngineer').inspect<string>('anthropic.baseUrl');
        // Said once per change: after a reload, code-server can start the extension host without the user's settings.
        const endpoint = baseURL ?? process.env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com';
        this.log.info(`chat requests go to ${endpoint} (mlEngineer.anthropic.baseUrl: user ${JSON.stringify(setting?.globalValue)}, workspace ${JSON.stringify(setting?.workspaceValue)})`);
      }
      return { apiKey, ...(baseURL ? { baseURL } : {}) };
    });
  }

  /** list_files and search_workspace run the ripgrep VS Code ships, in a child process. */
  private ripgrep(): Promise<string> {
    this.rg ??= (async () => {
      const path = await (await import('../../agent/tools/ripgrep')).findRipgrep(vscode.env.appRoot);
      this.log.info(`agent: file tools use ripgrep at ${path}`);
      return path;
    })();
    return this.rg;
  }

  private workspaceFacts(roots: readonly { name: string; path: string }[]): Promise<WorkspaceFacts> {
    this.facts ??= (async () => {
      const { gatherWorkspaceFacts } = await import('../workspaceFacts');
      const python = await configuredPython(this.log);
      const nvidiaSmi = vscode.workspace.getConfiguration('mlEngineer').get<string>('gpu.nvidiaSmiPath')?.trim() || 'nvidia-smi';
      return gatherWorkspaceFacts(roots, { pythonCandidates: pythonCandidates(python.setting, python.fromExtension), nvidiaSmi });
    })();
    return this.facts;
  }
}

export function workspaceRoots(): { name: string; path: string }[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => ({ name: f.name, path: f.uri.fsPath }));
}
