import type { ApprovalRequest } from './agentSession';

export type ApprovalScope = 'once' | 'conversation';

/**
 * Holds the tool calls waiting for the user's answer. Only a call that is pending can be
 * approved, once: an answer for an unknown or already answered call (a forged or replayed
 * webview message) is refused. "Allow for this conversation" covers later calls of the same
 * tool (with the same scope, for tools that load a file: that file, unchanged); `alwaysAllow`
 * (a user-level setting) covers a tool everywhere.
 */
export class ApprovalBroker {
  private readonly pending = new Map<string, { request: ApprovalRequest; resolve: (approved: boolean) => void }>();
  private readonly allowedTools = new Set<string>();

  constructor(private readonly alwaysAllow: () => readonly string[]) {}

  /** Resolves at once for allowed tools; otherwise waits for answer() or the signal. */
  request(request: ApprovalRequest, signal: AbortSignal): Promise<boolean> {
    if (this.alwaysAllow().includes(request.tool.name) || this.allowedTools.has(allowanceKey(request))) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.pending.delete(request.callId);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(request.callId, {
        request,
        resolve: (approved) => {
          signal.removeEventListener('abort', onAbort);
          resolve(approved);
        },
      });
    });
  }

  /** The user's answer. False when no such call is waiting. */
  answer(callId: string, approved: boolean, scope: ApprovalScope = 'once'): boolean {
    const entry = this.pending.get(callId);
    if (!entry) return false;
    this.pending.delete(callId);
    if (approved && scope === 'conversation') this.allowedTools.add(allowanceKey(entry.request));
    entry.resolve(approved);
    return true;
  }

  pendingRequest(callId: string): ApprovalRequest | undefined {
    return this.pending.get(callId)?.request;
  }

  /** A new conversation starts with no allowances. */
  reset(): void {
    for (const entry of this.pending.values()) entry.resolve(false);
    this.pending.clear();
    this.allowedTools.clear();
  }
}

function allowanceKey(request: ApprovalRequest): string {
  return request.scope === undefined ? request.tool.name : `${request.tool.name}\0${request.scope}`;
}
