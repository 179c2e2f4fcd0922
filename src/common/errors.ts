/**
 * An error the user can act on: its message says what failed and what to do.
 * Adapters show it as a notification; anything else is logged as an internal fault.
 */
export interface ErrorAction {
  /** Button label, e.g. "Open Settings". */
  readonly label: string;
  /** VS Code command id to run, with its arguments. */
  readonly command: string;
  readonly args?: readonly unknown[];
}

export class UserError extends Error {
  override readonly name = 'UserError';
  readonly actions: readonly ErrorAction[];

  constructor(message: string, options: { actions?: readonly ErrorAction[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.actions = options.actions ?? [];
  }
}

/** Also true for a UserError made in a lazily loaded bundle (dist/lazy/*.js), which has its own copy of the class. */
export function isUserError(value: unknown): value is UserError {
  return value instanceof UserError || (value instanceof Error && value.name === 'UserError' && Array.isArray((value as { actions?: unknown }).actions));
}

/** A one-line description of any thrown value, for logs and fallback messages. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message || value.name;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

export function isAbortError(value: unknown): boolean {
  return value instanceof Error && (value.name === 'AbortError' || (value as { code?: unknown }).code === 'ABORT_ERR');
}
