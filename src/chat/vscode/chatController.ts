import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AgentEvent } from '../../agent/agentEvents';
import type { AgentSession } from '../../agent/agentSession';
import { ApprovalBroker } from '../../agent/approvalBroker';
import type { FileChange, Tool } from '../../agent/tools/tool';
import { CONTEXT_WINDOW_TOKENS, FALLBACK_MODELS } from '../../agent/models';
import { addUsage } from '../../agent/pricing';
import { alwaysAllowedTools, readAgentSettings } from '../../agent/vscode/agentSettings';
import type { ApiKeyStore } from '../../agent/vscode/apiKeyStore';
import { COMMANDS } from '../../commandIds';
import { describeError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { reportError } from '../../common/vscode/commandRegistry';
import { ConversationStore, type ConversationRecord } from '../conversationStore';
import { expandMentions, rankMentions } from '../mentions';
import type { FromWebview, ToWebview } from '../protocol';
import { applyAgentEvent, type TranscriptItem } from '../transcript';
import { ChatProviders, PROVIDER_CHOICES, type ProviderAccess } from './chatProviders';
import { ChatSessionFactory, workspaceRoots } from './chatSessionFactory';
import { olderItemsMessage, transcriptMessage } from '../transcriptPages';
import { WebviewOutbox } from '../webviewOutbox';
import type { EditorActions } from './editorActions';

/** A model request in flight for one conversation; its events and its save go to that conversation only. */
interface Run {
  readonly record: ConversationRecord;
  readonly controller: AbortController;
  /** Settles once the run has ended and its conversation is saved. */
  readonly done: Promise<void>;
}

/** Timestamps on streamed events for the chat bench's hop breakdown (bench/chat.bench.ts with BENCH_CHAT_HOPS=1). */
const TRACE = process.env.MLE_CHAT_TRACE === '1';

/** The prompt cache keeps a prefix 5 minutes after its last use: warm it again after 4 of quiet. */
const WARM_AFTER_MS = 4 * 60 * 1000;

/**
 * The chat's host side: the open conversation, the run in flight (bound to the conversation it
 * started in), approvals and history. Every message it acts on has already been validated
 * (protocol.ts).
 */
export class ChatController implements vscode.Disposable {
  private record: ConversationRecord | undefined;
  /** The open conversation's session, created once (concurrent first uses share the promise). */
  private session: { record: ConversationRecord; session: Promise<AgentSession> } | undefined;
  private run: Run | undefined;
  private models: string[] = [];
  /** When a request last left (Date.now()), for the cache warm-up. */
  private lastRequestAt = 0;
  private readonly changes = new Map<string, FileChange>();
  private readonly broker = new ApprovalBroker(alwaysAllowedTools);
  private readonly store: ConversationStore;
  private readonly sessions: ChatSessionFactory;
  private readonly outbox: WebviewOutbox;
  private readonly providers: ChatProviders;

  constructor(
    context: vscode.ExtensionContext,
    apiKeys: ApiKeyStore,
    private readonly editor: EditorActions,
    private readonly log: Logger,
    /** Posts to the view; settles when the view has taken the message. */
    postMessage: (message: ToWebview) => PromiseLike<unknown>,
    /** Tools other features contribute (GPUs, kernels, experiments, models). */
    featureTools: () => Tool[] = () => [],
  ) {
    this.outbox = new WebviewOutbox({ post: postMessage, schedule: setImmediate });
    const storage = context.storageUri ?? vscode.Uri.joinPath(context.globalStorageUri, 'no-workspace');
    this.store = new ConversationStore(join(storage.fsPath, 'conversations'), (id, repairs) => log.warn(`conversation ${id} was stored in a shape the API refuses; repaired: ${repairs.join('; ')}`));
    this.sessions = new ChatSessionFactory(context.extensionPath, log, featureTools);
    this.providers = new ChatProviders(context.globalState, context.secrets, apiKeys);
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
      case 'composing':
        return this.warmCache();
      case 'stop':
        this.run?.controller.abort();
        return;
      case 'newChat':
        await this.resetConversation(undefined);
        this.post(transcriptMessage([]));
        return this.pushState();
      case 'openConversation': {
        // The run in the conversation being left ends, and is saved there, before another one opens.
        await this.stopRun();
        const record = await this.store.load(message.id);
        if (!record) return this.notice('error', 'That conversation could not be read; it may have been deleted.');
        await this.resetConversation(record);
        this.post(transcriptMessage(record.items));
        return this.pushState();
      }
      case 'deleteConversation':
        if (this.record?.id === message.id) await this.resetConversation(undefined);
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
      case 'copyRequestId': {
        const notice = this.record?.items.find((i) => i.id === message.itemId);
        if (notice?.kind === 'notice' && notice.requestId) await vscode.env.clipboard.writeText(notice.requestId);
        return;
      }
      case 'loadOlder': {
        const page = olderItemsMessage(this.record?.items ?? [], message.beforeId);
        if (page) this.post(page);
        return;
      }
      case 'selectModel':
        if (this.record) this.record.model = message.model;
        await this.providers.rememberModel(message.model);
        return this.pushState();
      case 'selectProvider':
        // The conversation goes on with the new provider (its history is in the Messages shape every provider reads).
        await this.stopRun();
        await this.providers.select(message.provider);
        this.session = undefined;
        this.models = [];
        if (this.record) this.record.model = this.providers.model();
        void this.refreshModels();
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
    if (this.run) return this.notice('info', 'The agent is still working; stop it first or wait for the answer.');
    const access = await this.providers.access();
    if ('missing' in access) return this.notice('error', access.missing);
    const record = (this.record ??= this.store.create(this.currentModel()));
    const userItem: Extract<TranscriptItem, { kind: 'user' }> = { kind: 'user', id: `user-${Date.now()}`, text };
    record.items.push(userItem);
    this.post({ type: 'userMessage', item: userItem });
    await this.startRun(record, async (session, signal) => {
      const expanded = await expandMentions(text, this.mentionSources());
      await session.send(expanded, signal);
      void this.refreshModels();
    }, access);
  }

  private async continueAfterNotice(action: 'raise-cost-cap' | 'continue-after-loop' | 'retry'): Promise<void> {
    const record = this.record;
    // The session may be gone (a window reload): Retry and Continue start a new one on the same conversation.
    if (this.run || !record) return;
    const access = await this.providers.access();
    if ('missing' in access) return this.notice('error', access.missing);
    for (const item of record.items) if (item.kind === 'notice' && item.action === action) item.resolved = true;
    await this.startRun(record, async (session, signal) => {
      if (action === 'raise-cost-cap') session.raiseCostCap();
      if (action === 'continue-after-loop') session.continueAfterLoop();
      await session.resume(signal);
    }, access);
  }

  /**
   * Runs one request of the conversation `record`: everything it emits is applied to that
   * record (and drawn only while it is the open one), and that record is saved when it ends,
   * whatever the user opened meanwhile.
   */
  private async startRun(record: ConversationRecord, work: (session: AgentSession, signal: AbortSignal) => Promise<void>, access: ProviderAccess): Promise<void> {
    const controller = new AbortController();
    let finished!: () => void;
    const run: Run = { record, controller, done: new Promise<void>((resolve) => (finished = resolve)) };
    this.run = run;
    this.lastRequestAt = Date.now();
    void this.pushState();
    try {
      if (!record.model) record.model = await this.firstModel(access);
      await work(await this.ensureSession(record, access), controller.signal);
    } catch (error) {
      this.log.error(`chat request failed: ${describeError(error)}`);
      this.emitTo(record, { type: 'notice', level: 'error', message: `The request failed: ${describeError(error)}` });
    } finally {
      await this.persist(record);
      if (this.run === run) this.run = undefined;
      finished();
      await this.pushState();
    }
  }

  /** Stops the run in flight and waits until it has ended and saved its conversation. */
  private async stopRun(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.controller.abort();
    await run.done;
  }

  /**
   * Speculative prompt caching: when the user starts typing after 4 quiet minutes (or in a new
   * window), the session sends the prefix its next request will start with, so that request
   * reads it from the cache (AgentSession.warmCache). Errors are only logged.
   */
  private async warmCache(): Promise<void> {
    if (this.run || Date.now() - this.lastRequestAt < WARM_AFTER_MS) return;
    // Only Anthropic caches prompts: the session sends nothing for the others.
    const access = await this.providers.access();
    if ('missing' in access || access.kind !== 'anthropic') return;
    this.lastRequestAt = Date.now();
    const record = (this.record ??= this.store.create(this.currentModel()));
    try {
      const session = await this.ensureSession(record, access);
      if (await session.warmCache(new AbortController().signal)) this.log.debug('prompt cache warmed while the user types');
    } catch (error) {
      this.log.debug(`cache warm-up skipped: ${describeError(error)}`);
    }
  }

  private ensureSession(record: ConversationRecord, access: ProviderAccess): Promise<AgentSession> {
    if (this.session?.record === record) return this.session.session;
    const session = this.sessions.create(record, access, {
      emit: (event) => this.emitTo(record, event),
      approve: (request, signal) => {
        if (request.change) this.changes.set(request.callId, request.change);
        return this.broker.request(request, signal);
      },
      applyChange: (change) => this.editor.applyChange(change),
      settings: () => readAgentSettings(record.model),
    });
    this.session = { record, session };
    // A failed start (no SDK bundle, say) is tried again on the next message.
    session.catch(() => {
      if (this.session?.session === session) this.session = undefined;
    });
    return session;
  }

  /** An agent event of the conversation `record`: kept in it, drawn only while it is open. */
  private emitTo(record: ConversationRecord, event: AgentEvent): void {
    const hostAt = TRACE ? performance.timeOrigin + performance.now() : undefined;
    applyAgentEvent(record.items, event);
    // The session keeps the conversation's totals; the record saves a copy.
    if (event.type === 'usage') {
      record.totals = { ...record.totals, costUsd: event.conversationCostUsd, contextTokens: event.contextTokens, usage: addUsage(record.totals.usage, event.usage), ...(event.costUnknown || record.totals.costUnknown ? { costUnknown: true } : {}) };
    }
    if (record === this.record) this.post(hostAt === undefined ? { type: 'agentEvents', events: [event] } : { type: 'agentEvents', events: [event], hostAt });
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    this.post({ type: 'agentEvents', events: [{ type: 'notice', level, message }] });
  }

  /** Every message goes through the outbox, so they reach the view in order. */
  private post(message: ToWebview): void {
    this.outbox.push(message);
  }

  private async refreshModels(): Promise<void> {
    if (this.models.length > 0) return;
    try {
      const access = await this.providers.access();
      if ('missing' in access) return;
      this.models = await (await this.sessions.provider(access)).listModels();
      await this.pushState();
    } catch (error) {
      this.log.debug(`models list unavailable: ${describeError(error)}`);
    }
  }

  private currentModel(): string {
    return this.providers.model();
  }

  /** A provider without a model picked yet (a fresh Ollama setup) starts on the first model it lists. */
  private async firstModel(access: ProviderAccess): Promise<string> {
    const [first] = await (await this.sessions.provider(access)).listModels();
    if (!first) throw new Error(access.kind === 'vscode-lm' ? 'VS Code offers no language model: sign in to GitHub Copilot.' : 'The endpoint lists no model: pull one first (ollama pull qwen3:8b), or set mlEngineer.openaiCompatible.model.');
    await this.providers.rememberModel(first, access.kind);
    return first;
  }

  /** Opens another conversation (or none), once the run in the one being left has ended and been saved. */
  private async resetConversation(record: ConversationRecord | undefined): Promise<void> {
    await this.stopRun();
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

  private async persist(record: ConversationRecord): Promise<void> {
    try {
      await this.store.save(record);
    } catch (error) {
      await reportError(this.log, error, 'saving the conversation');
    }
  }

  async pushState(): Promise<void> {
    const settings = readAgentSettings(this.record?.model);
    const provider = this.providers.kind();
    const models = this.models.length ? this.models : provider === 'anthropic' ? FALLBACK_MODELS : [];
    const model = this.record?.model || this.currentModel();
    this.post({
      type: 'state',
      state: {
        hasApiKey: await this.providers.ready(),
        provider,
        providers: PROVIDER_CHOICES,
        model,
        models: !model || models.includes(model) ? models : [model, ...models],
        conversations: (await this.store.list()).slice(0, 100),
        activeId: this.record?.id,
        busy: this.run !== undefined,
        totals: { costUsd: this.record?.totals.costUsd ?? 0, contextTokens: this.record?.totals.contextTokens ?? 0, ...(this.record?.totals.costUnknown ? { costUnknown: true } : {}) },
        contextWindow: CONTEXT_WINDOW_TOKENS,
        costCapUsd: settings.costCapUsd,
        trusted: vscode.workspace.isTrusted,
      },
    });
  }

  dispose(): void {
    this.run?.controller.abort();
    this.broker.reset();
  }
}

