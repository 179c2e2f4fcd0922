import * as vscode from 'vscode';

// The model file a command was given: a Uri (explorer, editor title) or a tree node that carries one
// (a registry version whose files are on this machine: Inspect, Serve Locally and Deploy on it).

export function modelUriArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const carried = arg !== null && typeof arg === 'object' ? (arg as { modelUri?: unknown }).modelUri : undefined;
  return carried instanceof vscode.Uri ? carried : undefined;
}
