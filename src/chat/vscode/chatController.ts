import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AgentEvent } from '../../agent/agentEvents';
import type { AgentSession } from '../../agent/agentSession';
import { ApprovalBroker } from '../../agent/approvalBroker';
import type { Anthropic as AnthropicSdk } from '../../agent/lazy/anthropicSdk';
import type { MessagesApi } from '../../agent/messagesApi';
import type { WorkspaceFacts } from '../../agent/systemPrompt';
import type { FileChange, Tool } from '../../agent/tools/tool';
import { CONTEXT_WINDOW_TOKENS, FALLBACK_MODELS } from '../../agent/models';
import { alwaysAllowedTools, apiBaseUrl, readAgentSettings } from '../../agent/vscode/agentSettings';
import type { ApiKeyStore } from '../../agent/vscode/apiKeyStore';
import { COMMANDS } from '../../commandIds';
import { describeError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { reportError } from '../../common/vscode/commandRegistry';
import { pythonCandidates } from '../../python/pythonInterpreter';
import { configuredPython } from '../../python/vscode/pythonExtension';
import { ConversationStore, type ConversationRecord } from '../conversationStore';
import { expandMentions, rankMentions } from '../mentions';
import type { FromWebview, ToWebview } from '../protocol';
import { applyAgentEvent, type TranscriptItem } from '../transcript';
import { olderItemsMessage, transcriptMessage } from '../transcriptPages';
import type { EditorActions } from './editorActions';
import { vscodeNotebookCells } from './notebookCells';

/**
 * The chat's host side: one conversation at a time, its agent session, approvals and history.
 * Every message it acts on has already been validated (protocol.ts).
 */
export class ChatController implements vscode.Disposable {
  private record: ConversationRecord | undefined;
  private session: AgentSession | undefined;
  private running: AbortController | undefined;
  private models: string[] = [];
  private facts: Promise<WorkspaceFacts> | undefined;
  private readonly changes = new Map<string, FileChange>();
  private readonly broker = new ApprovalBroker(alwaysAllowedTools);
  private readonly store: ConversationStore;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly apiKeys: ApiKeyStore,
    private readonly editor: EditorActions,
    private readonly log: Logger,
    private readonly post: (message: ToWebview) => void,
    /** Tools other features contribute (GPUs, kernels, experiments, models). */
    private readonly featureTools: () => Tool[] = () => [],
  ) {
    const storage = context.storageUri ?? vscode.Uri.joinPath(context.globalStorageUri, 'no-workspace');
    this.store = new ConversationStore(join(storage.fsPath, 'conversations'));
  }

  async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        if (!this.record) {
          const [latest] = await this.store.list();
          if (latest) this.record = await this.store.load(latest.id);
        }
        this.post(transcriptMessage(this.record?.items ?? []));
        return this.pushState();
      case 'setApiKey':
        await vscode.commands.executeCommand(COMMANDS.setApiKey);
        return;
      case 'checkEnvironment':
        await vscode.commands.executeCommand(COMMANDS.doctor);
        return;
      case 'send':
        return this.send(message.text);
      case 'stop':
        this.running?.abort();
        return;
      case 'newChat':
        this.resetConversation(undefined);
        this.post(transcriptMessage([]));
        return this.pushState();
      case 'openConversation': {
        const record = await this.store.load(message.id);
        if (!record) return this.notice('error', 'That conversation could not be read; it may have been deleted.');
        this.resetConversation(record);
        this.post(transcriptMessage(record.items));
        return this.pushState();
      }
      case 'deleteConversation':
        if (this.record?.id === message.id) this.resetConversation(undefined);
        await this.store.delete(message.id);
        this.post(transcriptMessage(this.record?.items ?? []));
        return this.pushState();
      case 'approve':
      case 'deny':
        if (!this.broker.answer(message.callId, message.type === 'approve', message.type === 'approve' ? message.scope : 'once')) {
          this.log.warn(`refused an answer for tool call ${message.callId}: it is not waiting for approval`);
        }
        return;
      case 'showDiff': {
        const change = this.changes.get(message.callId);
        if (change) await this.editor.showDiff(message.callId, change);
        return;
      }
      case 'noticeAction':
        return this.continueAfterNotice(message.action);
      case 'codeAction':
        return this.editor.runCodeAction(message, this.record?.items ?? []);
      case 'loadOlder': {
        const page = olderItemsMessage(this.record?.items ?? [], message.beforeId);
        if (page) this.post(page);
        return;
      }
      case 'selectModel':
        if (this.record) this.record.model = message.model;
        await this.context.globalState.update('mlEngineer.lastModel', message.model);
        return this.pushState();
      case 'openLink':
        if (/^https?:\/\//i.test(message.href)) await vscode.env.openExternal(vscode.Uri.parse(message.href));
        return;
      case 'mentionQuery': {
        const pattern = `**/*${message.query.replace(/[[\]{}*?!]/g, '')}*`;
        // More than are shown, ranked here: findFiles returns them in no useful order.
        const found = await vscode.workspace.findFiles(pattern, '**/{node_modules,.git,__pycache__,.venv}/**', 500);
        this.post({ type: 'mentionResults', query: message.query, items: rankMentions(message.query, found.map((u) => vscode.workspace.asRelativePath(u, false))) });
        return;
      }
    }
  }

  private async send(text: string): Promise<void> {
    if (this.running) return this.notice('info', 'The agent is still working; stop it first or wait for the answer.');
    const apiKey = await this.apiKeys.get();
    if (!apiKey) return this.notice('error', 'Set your Anthropic API key first (ML Engineer: Set Anthropic API Key).');
    const record = (this.record ??= this.store.create(this.currentModel()));
    const userItem: Extract<TranscriptItem, { kind: 'user' }> = { kind: 'user', id: `user-${Date.now()}`, text };
    record.items.push(userItem);
    this.post({ type: 'userMessage', item: userItem });
    const controller = (this.running = new AbortController());
    void this.pushState();
    try {
      const session = await this.ensureSession(record, apiKey);
      const expanded = await expandMentions(text, this.mentionSources());
      await session.send(expanded, controller.signal);
      void this.refreshModels(apiKey);
    } catch (error) {
      this.log.error(`chat request failed: ${describeError(error)}`);
      this.onEvent({ type: 'notice', level: 'error', message: `The request failed: ${describeError(error)}` });
    } finally {
      this.running = undefined;
      await this.persist();
      await this.pushState();
    }
  }

  private async continueAfterNotice(action: 'raise-cost-cap' | 'continue-after-loop' | 'retry'): Promise<void> {
    const session = this.session;
    if (!session || this.running || !this.record) return;
    if (action === 'raise-cost-cap') session.raiseCostCap();
    if (action === 'continue-after-loop') session.continueAfterLoop();
    for (const item of this.record.items) if (item.kind === 'notice' && item.action === action) item.resolved = true;
    const controller = (this.running = new AbortController());
    void this.pushState();
    try {
      await session.resume(controller.signal);
    } finally {
      this.running = undefined;
      await this.persist();
      await this.pushState();
    }
  }

  private async ensureSession(record: ConversationRecord, apiKey: string): Promise<AgentSession> {
    if (this.session) return this.session;
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
    const facts = await this.workspaceFacts(files.roots);
    this.session = new AgentSession(
      {
        api: await this.messagesApi(apiKey),
        tools: registry.available(vscode.workspace.isTrusted),
        context: { files, applyChange: (change) => this.editor.applyChange(change), notebooks: vscodeNotebookCells },
        approve: (request, signal) => {
          if (request.change) this.changes.set(request.callId, request.change);
          return this.broker.request(request, signal);
        },
        emit: (event) => this.onEvent(event),
        settings: () => readAgentSettings(this.record?.model),
        systemPrompt: systemPrompt(facts),
        log: this.log,
      },
      { messages: record.messages, totals: record.totals },
    );
    return this.session;
  }

  private async messagesApi(apiKey: string): Promise<MessagesApi> {
    const { anthropicMessagesApi } = await import('../../agent/anthropicMessagesApi');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, loaded on first use
    const { Anthropic } = require(join(this.context.extensionPath, 'dist', 'lazy', 'anthropic.js')) as { Anthropic: typeof AnthropicSdk };
    const baseURL = apiBaseUrl();
    return anthropicMessagesApi(Anthropic, { apiKey, ...(baseURL ? { baseURL } : {}) });
  }

  private workspaceFacts(roots: readonly { name: string; path: string }[]): Promise<WorkspaceFacts> {
    this.facts ??= (async () => {
      const { gatherWorkspaceFacts } = await import('../../agent/workspaceFacts');
      const python = await configuredPython(this.log);
      const nvidiaSmi = vscode.workspace.getConfiguration('mlEngineer').get<string>('gpu.nvidiaSmiPath')?.trim() || 'nvidia-smi';
      return gatherWorkspaceFacts(roots, { pythonCandidates: pythonCandidates(python.setting, python.fromExtension), nvidiaSmi });
    })();
    return this.facts;
  }

  private onEvent(event: AgentEvent): void {
    if (this.record) applyAgentEvent(this.record.items, event);
    this.post({ type: 'agentEvent', event, sentAt: Date.now() });
    // The session keeps the conversation's totals; the record saves a copy.
    if (event.type === 'usage' && this.record && this.session) this.record.totals = { ...this.session.totals };
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    this.post({ type: 'agentEvent', event: { type: 'notice', level, message }, sentAt: Date.now() });
  }

  private async refreshModels(apiKey: string): Promise<void> {
    if (this.models.length > 0) return;
    try {
      this.models = await (await this.messagesApi(apiKey)).listModels();
      await this.pushState();
    } catch (error) {
      this.log.debug(`models list unavailable: ${describeError(error)}`);
    }
  }

  private currentModel(): string {
    return this.context.globalState.get<string>('mlEngineer.lastModel') || readAgentSettings().model;
  }

  private resetConversation(record: ConversationRecord | undefined): void {
    this.running?.abort();
    this.broker.reset();
    this.changes.clear();
    this.session = undefined;
    this.record = record;
  }

  private mentionSources() {
    const editor = vscode.window.activeTextEditor;
    return {
      readFile: async (path: string) => {
        const { WorkspaceFiles } = await import('../../agent/tools/workspaceFiles');
        return (await new WorkspaceFiles(workspaceRoots()).readText(path, 200_000)).text;
      },
      selection: editor && !editor.selection.isEmpty
        ? { path: vscode.workspace.asRelativePath(editor.document.uri, false), startLine: editor.selection.start.line + 1, text: editor.document.getText(editor.selection) }
        : undefined,
    };
  }

  private async persist(): Promise<void> {
    if (!this.record) return;
    try {
      await this.store.save(this.record);
    } catch (error) {
      await reportError(this.log, error, 'saving the conversation');
    }
  }

  async pushState(): Promise<void> {
    const settings = readAgentSettings(this.record?.model);
    const models = this.models.length ? this.models : FALLBACK_MODELS;
    const model = this.record?.model ?? this.currentModel();
    this.post({
      type: 'state',
      state: {
        hasApiKey: await this.apiKeys.has(),
        model,
        models: models.includes(model) ? models : [model, ...models],
        conversations: (await this.store.list()).slice(0, 100),
        activeId: this.record?.id,
        busy: this.running !== undefined,
        totals: { costUsd: this.record?.totals.costUsd ?? 0, contextTokens: this.record?.totals.contextTokens ?? 0 },
        contextWindow: CONTEXT_WINDOW_TOKENS,
        costCapUsd: settings.costCapUsd,
        trusted: vscode.workspace.isTrusted,
      },
    });
  }

  dispose(): void {
    this.running?.abort();
    this.broker.reset();
  }
}

function workspaceRoots(): { name: string; path: string }[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => ({ name: f.name, path: f.uri.fsPath }));
}
