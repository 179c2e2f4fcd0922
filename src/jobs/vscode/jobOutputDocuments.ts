import * as vscode from 'vscode';
import type { JobClusters } from '../jobClusters';

// A job's stdout/stderr as a read-only document that follows the file while it is open: read on
// the cluster's side (so a remote cluster's files work as local ones), the new bytes appended
// every 2 s. Its URI: <scheme>:/<path>?cluster=<id>.

export const JOB_OUTPUT_SCHEME = 'ml-engineer-job-output';
const FOLLOW_MS = 2000;
/** The most of a file kept in the document: its end. */
const MAX_BYTES = 4 * 1024 * 1024;

interface Followed {
  text: string;
  offset: number;
}

export class JobOutputDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly files = new Map<string, Followed>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly clusters: () => JobClusters) {
    this.timer = setInterval(() => void this.follow(), FOLLOW_MS);
  }

  static uri(cluster: string, path: string): vscode.Uri {
    return vscode.Uri.from({ scheme: JOB_OUTPUT_SCHEME, path, query: new URLSearchParams({ cluster }).toString() });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const key = uri.toString();
    const known = this.files.get(key);
    if (known) return known.text;
    const chunk = await this.read(uri, undefined);
    const followed = { text: chunk.offset > 0 ? `[… the first ${chunk.offset} bytes are not shown]\n${chunk.text}` : chunk.text, offset: chunk.offset + Buffer.byteLength(chunk.text) };
    this.files.set(key, followed);
    return followed.text;
  }

  private read(uri: vscode.Uri, offset: number | undefined) {
    const cluster = new URLSearchParams(uri.query).get('cluster') ?? undefined;
    return this.clusters().scheduler(cluster).readOutput(uri.path, offset, MAX_BYTES);
  }

  /** New bytes of every open output document. */
  private async follow(): Promise<void> {
    const open = new Set(vscode.workspace.textDocuments.filter((d) => d.uri.scheme === JOB_OUTPUT_SCHEME).map((d) => d.uri.toString()));
    for (const key of [...this.files.keys()]) if (!open.has(key)) this.files.delete(key);
    for (const [key, followed] of this.files) {
      const uri = vscode.Uri.parse(key);
      try {
        const chunk = await this.read(uri, followed.offset);
        if (chunk.text === '' && chunk.offset === followed.offset) continue;
        // A shorter file was rewritten (a requeued job): start again from what it holds.
        followed.text = chunk.offset < followed.offset ? chunk.text : followed.text + chunk.text;
        followed.offset = chunk.offset + Buffer.byteLength(chunk.text);
        this.changed.fire(uri);
      } catch {
        // Not there yet (a pending job), or gone: tried again on the next tick.
      }
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this.changed.dispose();
  }
}
