// What the user reads before a model file is loaded with their Python: loading a pickle runs its
// classes' code; torch.jit.load runs a TorchScript archive's code and unpickles its constants. The
// file is named by its path (workspace-relative inside), since a registry version's files come
// from mlruns/ or mlflow.db and can be anywhere on disk; a file outside the workspace is said so.

export interface ModelCodeLoad {
  /** The path as shown: workspace-relative inside the workspace, else absolute. */
  readonly shown: string;
  readonly outside: boolean;
  readonly kind: 'pickle' | 'torchscript';
  /** The button, and the verb of "… only files you trust" (Serve, Export, Compare). */
  readonly action: string;
  /** The classes it pickles, where the reader listed them. */
  readonly classes?: string;
}

export function modelCodeWarning(load: ModelCodeLoad): string {
  const why = load.kind === 'torchscript' ? `Loading ${load.shown} (TorchScript) with torch.jit.load runs the code it holds and unpickles its constants.` : `Loading ${load.shown} runs code from the classes it pickles${load.classes ? ` (${load.classes})` : ''}.`;
  return `${why}${load.outside ? ' This file is outside the workspace.' : ''} ${load.action} only files you trust.`;
}
