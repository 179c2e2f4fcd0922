import { STORAGE_KEYS } from '../commandIds';

/**
 * Where bindings are kept: VS Code's workspace state (a Memento) in the extension, a map in
 * tests. Values go through JSON, and `get` sees a value as soon as `update` is called (the
 * Memento keeps it in memory and persists it later), so two updates made at once both stay.
 */
export interface KeyValueStorage {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** Which kernel a notebook uses, kept so that a reload reconnects to the same kernel. */
export interface KernelBinding {
  readonly serverId: string;
  readonly spec: string;
  readonly kernelId: string;
  /** Our client id on that kernel: the server replays to it what arrived while we were away. */
  readonly clientId: string;
}

/** A cell whose execution outlives the window: reattached after a reload. */
export interface RunningCell {
  readonly cellIndex: number;
  readonly msgId: string;
  readonly kernelId: string;
  readonly startedAt: number;
}

// The keys the extension has always used: bindings made before this file existed still load.
export const BINDINGS_KEY = STORAGE_KEYS.kernelBindings;
export const RUNNING_KEY = STORAGE_KEYS.runningCell;

/** Each notebook's kernel (by notebook URI) and the cell still running in it, across reloads. */
export class KernelBindings {
  constructor(private readonly storage: KeyValueStorage) {}

  binding(notebook: string): KernelBinding | undefined {
    const value = this.read(BINDINGS_KEY)[notebook];
    return isBinding(value) ? value : undefined;
  }

  /** True when the notebook was bound to this spec of this server (the picker prefers it). */
  isBoundTo(notebook: string, serverId: string, spec: string): boolean {
    const bound = this.binding(notebook);
    return bound !== undefined && bound.serverId === serverId && bound.spec === spec;
  }

  bind(notebook: string, binding: KernelBinding): Promise<void> {
    return this.write(BINDINGS_KEY, (all) => ({ ...all, [notebook]: binding }));
  }

  running(notebook: string): RunningCell | undefined {
    const value = this.read(RUNNING_KEY)[notebook];
    return isRunningCell(value) ? value : undefined;
  }

  /**
   * The running cell to follow when the notebook is given this server's spec again: only when
   * the notebook is still bound to the kernel the cell was started on.
   */
  toReattach(notebook: string, serverId: string, spec: string): RunningCell | undefined {
    const running = this.running(notebook);
    const bound = this.binding(notebook);
    if (!running || !bound || !this.isBoundTo(notebook, serverId, spec) || bound.kernelId !== running.kernelId) return undefined;
    return running;
  }

  setRunning(notebook: string, cell: RunningCell): Promise<void> {
    return this.write(RUNNING_KEY, (all) => ({ ...all, [notebook]: cell }));
  }

  clearRunning(notebook: string): Promise<void> {
    return this.write(RUNNING_KEY, (all) => {
      const rest = { ...all };
      delete rest[notebook];
      return rest;
    });
  }

  private read(key: string): Record<string, unknown> {
    const value = this.storage.get<unknown>(key);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  }

  private async write(key: string, change: (all: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
    await this.storage.update(key, change(this.read(key)));
  }
}

function isBinding(value: unknown): value is KernelBinding {
  const v = value as Partial<KernelBinding> | null;
  return typeof v === 'object' && v !== null && typeof v.serverId === 'string' && typeof v.spec === 'string' && typeof v.kernelId === 'string' && typeof v.clientId === 'string';
}

function isRunningCell(value: unknown): value is RunningCell {
  const v = value as Partial<RunningCell> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger(v.cellIndex) &&
    (v.cellIndex ?? -1) >= 0 &&
    typeof v.msgId === 'string' &&
    typeof v.kernelId === 'string' &&
    typeof v.startedAt === 'number'
  );
}
