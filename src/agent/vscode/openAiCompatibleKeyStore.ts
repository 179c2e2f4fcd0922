import type * as vscode from 'vscode';
import { STORAGE_KEYS } from '../../commandIds';

/**
 * The key of the OpenAI-compatible endpoint, optional (Ollama and LM Studio need none), in
 * SecretStorage only: never settings, logs or webviews. Deliberately no OPENAI_API_KEY fallback:
 * an OpenAI key in the environment would otherwise go to whatever base URL is set.
 */
export class OpenAiCompatibleKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(): Promise<string | undefined> {
    return (await this.secrets.get(STORAGE_KEYS.openaiCompatibleApiKey)) || undefined;
  }

  set(key: string): Thenable<void> {
    return this.secrets.store(STORAGE_KEYS.openaiCompatibleApiKey, key);
  }

  clear(): Thenable<void> {
    return this.secrets.delete(STORAGE_KEYS.openaiCompatibleApiKey);
  }
}
