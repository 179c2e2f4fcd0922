import vscode = require('vscode');
import { CONTEXT_KEYS, STORAGE_KEYS } from '../../commandIds';

const SECRET_KEY = STORAGE_KEYS.apiKey;

/**
 * The Anthropic API key, in SecretStorage only (never settings, logs or webviews).
 * ANTHROPIC_API_KEY in the environment is the fallback.
 */
export class ApiKeyStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key === SECRET_KEY) void this.refreshContext().then(() => this.changed.fire());
    });
  }

  async get(): Promise<string | undefined> {
    return (await this.secrets.get(SECRET_KEY)) || process.env.ANTHROPIC_API_KEY || undefined;
  }

  /** Where the key comes from, without handing it out: SecretStorage first, then ANTHROPIC_API_KEY. */
  async source(): Promise<'secret-storage' | 'environment' | undefined> {
    if (await this.secrets.get(SECRET_KEY)) return 'secret-storage';
    return process.env.ANTHROPIC_API_KEY ? 'environment' : undefined;
  }

  async has(): Promise<boolean> {
    return (await this.get()) !== undefined;
  }

  async set(key: string): Promise<void> {
    await this.secrets.store(SECRET_KEY, key);
    await this.refreshContext();
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_KEY);
    await this.refreshContext();
  }

  async refreshContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasApiKey, Boolean(await this.secrets.get(SECRET_KEY)));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
