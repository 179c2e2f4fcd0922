import * as vscode from 'vscode';

/**
 * A progress notification with a Cancel button that aborts `task`'s signal: our long operations
 * (child processes, model runs, server starts) take an AbortSignal rather than a CancellationToken.
 */
export function withCancellableProgress<T>(title: string, task: (signal: AbortSignal, progress: vscode.Progress<{ message?: string; increment?: number }>) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      return await task(abort.signal, progress);
    } finally {
      cancel.dispose();
    }
  });
}
