import * as vscode from 'vscode';
import type { MetricPoint, RunRecord, RunSource, SourceSnapshot } from '../runModel';

// Folders another feature lists in the Experiments view (a Slurm job's working folder outside the
// workspace, src/jobs/vscode/jobRunSources.ts): read by the workspace's own bounded discovery,
// watched with the same globs, their sources labelled by who added them ("Slurm job 123 (train)"),
// read-only, and listed until the window closes or the user removes them.

export class AddedRoots implements vscode.Disposable {
  private readonly roots = new Map<string, { readonly label: string; readonly watchers: vscode.Disposable[] }>();

  constructor(
    private readonly globs: readonly string[],
    private readonly onFileChange: (uri: vscode.Uri) => void,
    /** The list of roots changed: discover again. */
    private readonly changed: () => void,
  ) {}

  /** Lists `folder` as `label` (a folder already listed keeps its first label); disposing the result removes it. */
  add(folder: string, label: string): vscode.Disposable {
    if (this.roots.has(folder)) return { dispose: () => undefined };
    const watchers = this.globs.map((glob) => vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), glob)));
    const listeners = watchers.flatMap((w) => [w.onDidChange(this.onFileChange), w.onDidCreate(this.onFileChange), w.onDidDelete(this.onFileChange)]);
    this.roots.set(folder, { label, watchers: [...watchers, ...listeners] });
    this.changed();
    return { dispose: () => this.remove(folder) };
  }

  remove(folder: string): void {
    const root = this.roots.get(folder);
    if (!root) return;
    this.roots.delete(folder);
    for (const d of root.watchers) d.dispose();
    this.changed();
  }

  /** The sources `discover` finds under each root, labelled. */
  async sources(discover: (folder: string) => Promise<readonly RunSource[]>, warn: (message: string) => void): Promise<RunSource[]> {
    const found = await Promise.all(
      [...this.roots].map(([folder, { label }]) =>
        discover(folder).then(
          (sources) => sources.map((s) => new AddedSource(s, label, folder)),
          (error: unknown) => (warn(`experiments: ${label}: ${folder}: ${(error as Error).message}`), []),
        ),
      ),
    );
    return found.flat();
  }

  dispose(): void {
    for (const root of this.roots.values()) for (const d of root.watchers) d.dispose();
    this.roots.clear();
  }
}

/** A found source under an added root, shown with the root's label; the same id, so a run also in the workspace is listed once. */
export class AddedSource implements RunSource {
  readonly id: string;
  readonly kind: RunSource['kind'];
  readonly root: string;

  constructor(
    private readonly inner: RunSource,
    readonly label: string,
    /** The folder it was added under (what Remove from Experiments removes). */
    readonly addedRoot: string,
  ) {
    ({ id: this.id, kind: this.kind, root: this.root } = inner);
  }

  load(signal?: AbortSignal, onPartial?: (snapshot: SourceSnapshot) => void): Promise<SourceSnapshot> {
    return this.inner.load(signal, onPartial);
  }

  history(run: RunRecord, key: string, signal?: AbortSignal): Promise<MetricPoint[]> {
    return this.inner.history(run, key, signal);
  }

  dispose(): void {
    this.inner.dispose?.();
  }
}
