import * as vscode from 'vscode';
import type { ProviderKind } from '../providers/modelProvider';
import type { AgentSettings } from '../agentSession';
import { CONTEXT_WINDOW_TOKENS, DEFAULT_MODEL } from '../models';
import type { ModelPrice } from '../pricing';

export function readAgentSettings(modelOverride?: string): AgentSettings {
  const c = vscode.workspace.getConfiguration('mlEngineer');
  const maxTokens = c.get<number>('agent.maxTokens', 8192);
  return {
    model: modelOverride || c.get<string>('agent.model', DEFAULT_MODEL) || DEFAULT_MODEL,
    maxTokens,
    thinking: c.get<boolean>('agent.thinking', false),
    costCapUsd: c.get<number>('agent.costCapUsd', 5),
    // 200k-token windows: leave room for the answer and the tools.
    contextBudgetTokens: CONTEXT_WINDOW_TOKENS - maxTokens - 20_000,
    prices: c.get<Record<string, ModelPrice>>('agent.prices', {}),
  };
}

export function alwaysAllowedTools(): string[] {
  return vscode.workspace.getConfiguration('mlEngineer').get<string[]>('agent.alwaysAllow', []);
}

/** A gateway or proxy URL, or undefined for Anthropic's API. */
export function apiBaseUrl(): string | undefined {
  return vscode.workspace.getConfiguration('mlEngineer').get<string>('anthropic.baseUrl')?.trim() || undefined;
}

/** The chat's provider as the setting names it, in the core's words. */
const PROVIDER_OF_SETTING: Readonly<Record<string, ProviderKind>> = { anthropic: 'anthropic', openaiCompatible: 'openai-compatible', vscodeLm: 'vscode-lm' };

/** mlEngineer.agent.provider: who answers the chat unless the user picked another in it. */
export function providerSetting(): ProviderKind {
  return PROVIDER_OF_SETTING[vscode.workspace.getConfiguration('mlEngineer').get<string>('agent.provider', 'anthropic')] ?? 'anthropic';
}

/** The OpenAI-compatible endpoint (Ollama's by default) and its model for new chats ('' until one is picked). */
export function openaiCompatibleSettings(): { baseUrl: string; model: string } {
  const c = vscode.workspace.getConfiguration('mlEngineer');
  return { baseUrl: c.get<string>('openaiCompatible.baseUrl')?.trim() || 'http://localhost:11434/v1', model: c.get<string>('openaiCompatible.model')?.trim() ?? '' };
}

/** The VS Code language model for new chats ('' : the first one VS Code offers). */
export function vscodeLmModelSetting(): string {
  return vscode.workspace.getConfiguration('mlEngineer').get<string>('vscodeLm.model')?.trim() ?? '';
}
