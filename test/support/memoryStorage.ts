import type { RecordState, TokenSecrets } from '../../src/jobs/kernel/kernelJobRecords';

// VS Code's workspace state and secret store as a window's extension host sees them, kept across
// "windows" of one test: the state as JSON text (as VS Code stores it, so only plain data survives).

export class JsonState implements RecordState {
  private readonly values = new Map<string, string>();

  get(key: string): unknown {
    const text = this.values.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, JSON.stringify(value));
    return Promise.resolve();
  }

  /** Everything stored, as text (to look for what must not be there). */
  text(): string {
    return [...this.values.values()].join('\n');
  }
}

export class MapSecrets implements TokenSecrets {
  private readonly values = new Map<string, string>();

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }

  store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.values.delete(key);
    return Promise.resolve();
  }
}
