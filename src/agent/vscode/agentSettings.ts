import * as vscode from 'vscode';
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
