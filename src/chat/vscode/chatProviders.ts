import * as vscode from 'vscode';
import type { ProviderKind } from '../../agent/providers/modelProvider';
import { DEFAULT_MODEL } from '../../agent/models';
import { openaiCompatibleSettings, providerSetting, vscodeLmModelSetting } from '../../agent/vscode/agentSettings';
import type { ApiKeyStore } from '../../agent/vscode/apiKeyStore';
import { OpenAiCompatibleKeyStore } from '../../agent/vscode/openAiCompatibleKeyStore';
import { STORAGE_KEYS } from '../../commandIds';

/** What a session needs to reach its provider: a key where one is needed. */
export type ProviderAccess =
  | { readonly kind: 'anthropic'; readonly apiKey: string }
  | { readonly kind: 'openai-compatible'; readonly apiKey?: string }
  /** `model`: the one the user picked in VS Code's Chat view (the @ml participant), else chosen by id. */
  | { readonly kind: 'vscode-lm'; readonly model?: vscode.LanguageModelChat };

export const PROVIDER_CHOICES: readonly { readonly kind: ProviderKind; readonly label: string }[] = [
  { kind: 'anthropic', label: 'Anthropic' },
  { kind: 'openai-compatible', label: 'OpenAI-compatible' },
  { kind: 'vscode-lm', label: 'VS Code (Copilot)' },
];

/**
 * The chat's provider and each provider's last model: picked in the chat's header (kept in global
 * state), else the settings. Keys come from SecretStorage only.
 */
export class ChatProviders {
  private readonly openaiKeys: OpenAiCompatibleKeyStore;

  constructor(
    private readonly state: vscode.Memento,
    secrets: vscode.SecretStorage,
    private readonly apiKeys: ApiKeyStore,
  ) {
    this.openaiKeys = new OpenAiCompatibleKeyStore(secrets);
  }

  kind(): ProviderKind {
    const picked = this.state.get<string>(STORAGE_KEYS.lastProvider);
    return PROVIDER_CHOICES.find((p) => p.kind === picked)?.kind ?? providerSetting();
  }

  select(kind: ProviderKind): Thenable<void> {
    return this.state.update(STORAGE_KEYS.lastProvider, kind);
  }

  /** The access to the current provider, or what is missing, in words. */
  async access(): Promise<ProviderAccess | { readonly missing: string }> {
    const kind = this.kind();
    if (kind === 'vscode-lm') return { kind };
    if (kind === 'openai-compatible') {
      const apiKey = await this.openaiKeys.get();
      return { kind, ...(apiKey ? { apiKey } : {}) };
    }
    const apiKey = await this.apiKeys.get();
    return apiKey ? { kind, apiKey } : { missing: `Set your Anthropic API key first (ML Engineer: Set Anthropic API Key), or pick another provider in the chat's header.` };
  }

  /** Whether the chat can be used without setting anything first. */
  async ready(): Promise<boolean> {
    return this.kind() !== 'anthropic' || (await this.apiKeys.has());
  }

  /** The model new chats of a provider start on ('' for the first one the provider lists). */
  model(kind = this.kind()): string {
    if (kind === 'anthropic') return this.state.get<string>(STORAGE_KEYS.lastModel) || vscode.workspace.getConfiguration('mlEngineer').get<string>('agent.model', DEFAULT_MODEL) || DEFAULT_MODEL;
    const picked = this.state.get<string>(`${STORAGE_KEYS.lastModelOfPrefix}${kind}`);
    return picked || (kind === 'openai-compatible' ? openaiCompatibleSettings().model : vscodeLmModelSetting());
  }

  rememberModel(model: string, kind = this.kind()): Thenable<void> {
    return this.state.update(kind === 'anthropic' ? STORAGE_KEYS.lastModel : `${STORAGE_KEYS.lastModelOfPrefix}${kind}`, model);
  }

}
