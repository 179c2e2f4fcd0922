// Records a window keeps for the next one (a kept model server, a kernel job): the records in the
// workspace's state under one key, the secret of each (its token) only in the secret store, under a
// key of its own. Saves run one after another, so two at once cannot drop each other's record; what
// the state holds that is not a record (edited by hand, an older build, a token in clear) is left
// out. Shapes of VS Code's Memento and SecretStorage, so this stays free of VS Code and the tests
// use it as the extension does.

/** VS Code's Memento (context.workspaceState), the part used. */
export interface RecordState {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void>;
}

/** VS Code's SecretStorage, the part used. */
export interface TokenSecrets {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
}

/** How one kind of record is kept: `K` is what names a record (a pid; a cluster and job id). */
export interface RecordKind<T extends K, K> {
  /** The state key holding the list. */
  readonly stateKey: string;
  /** The secret store key of a record's token. */
  tokenKey(key: K): string;
  same(a: K, b: K): boolean;
  /** Whether a value in the state is a record of this kind (anything else is left out). */
  isRecord(value: unknown): value is T;
}

export class SecretBackedRecords<T extends K, K> {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: RecordState,
    private readonly secrets: TokenSecrets,
    private readonly kind: RecordKind<T, K>,
  ) {}

  /** The records kept (anything unreadable in the state is left out). */
  list(): T[] {
    const value = this.state.get(this.kind.stateKey);
    return Array.isArray(value) ? value.filter((v) => this.kind.isRecord(v)) : [];
  }

  /** The record's token; undefined when it is gone (another machine's secret store, or cleared). */
  token(key: K): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(this.kind.tokenKey(key)));
  }

  /** Keeps a record and its token, replacing an older record of the same key. */
  save(record: T, token: string): Promise<void> {
    return this.serial(async () => {
      await this.secrets.store(this.kind.tokenKey(record), token);
      await this.state.update(this.kind.stateKey, [...this.list().filter((r) => !this.kind.same(r, record)), record]);
    });
  }

  /** Forgets a record and its token. */
  remove(key: K): Promise<void> {
    return this.serial(async () => {
      await this.state.update(this.kind.stateKey, this.list().filter((r) => !this.kind.same(r, key)));
      await this.secrets.delete(this.kind.tokenKey(key));
    });
  }

  private serial(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
