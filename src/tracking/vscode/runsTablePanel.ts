import * as vscode from 'vscode';
import { VIEW_TYPES } from '../../commandIds';
import { setWebviewContent } from '../../webview/vscode/webviewAssets';
import type { RunCatalog } from '../runCatalog';
import { buildRunsTable, tableColumns } from '../runsTable';
import { parseFromRunsView, type RunsTableColumn, type ToRunsView } from '../runsTableProtocol';
import type { RunFilterState } from '../runFilterState';
import type { MetricLookup } from '../runFilter';

export interface RunsTableActions {
  /** Sets the shared filter (tree and table); returns why the text cannot be read. */
  setFilter(text: string): Promise<string | undefined>;
  reveal(key: string): Promise<void>;
  compare(keys: readonly string[]): Promise<void>;
}

/**
 * "Runs": every run of every source in one table (media/runs/), the filter shared with the
 * Experiments tree, columns the person picks, sorted in the page across sources.
 */
export class RunsTablePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** The columns the person picked; until then the defaults (tableColumns). */
  private columns: RunsTableColumn[] | undefined;
  private ready = false;
  /** The page's number of the last filter text it sent (what the answers are about). */
  private filterSeq = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly catalog: RunCatalog,
    private readonly filter: RunFilterState,
    private readonly metric: MetricLookup,
    private readonly actions: RunsTableActions,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES.runsTable, 'Runs', vscode.ViewColumn.Active, { retainContextWhenHidden: true });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icons', 'activity-bar.svg');
    setWebviewContent(panel.webview, this.extensionUri, 'runs', 'Runs');
    panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.filterSeq = 0;
    });
    this.panel = panel;
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseFromRunsView(raw);
    if (!message) {
      this.log.warn('runs table: ignored a message the page should not send');
      return;
    }
    try {
      switch (message.type) {
        case 'ready':
          this.ready = true;
          this.update();
          break;
        case 'filter': {
          // Set before setFilter, whose redraw sends the rows: they are this text's answer.
          this.filterSeq = message.seq;
          const error = await this.actions.setFilter(message.text);
          // The tree and this table are redrawn by setFilter; a refused text is answered here.
          if (error) await this.post({ type: 'filterError', text: message.text, error, seq: message.seq });
          break;
        }
        case 'columns':
          this.columns = message.columns;
          this.update();
          break;
        case 'reveal':
          await this.actions.reveal(message.key);
          break;
        case 'compare':
          await this.actions.compare(message.keys);
          break;
      }
    } catch (error) {
      this.log.warn(`runs table: ${(error as Error).message}`);
      void vscode.window.showWarningMessage((error as Error).message);
    }
  }

  /** Sends the rows again (the filter or a source changed). */
  update(): void {
    if (!this.panel || !this.ready) return;
    const all = this.catalog.runs();
    const data = buildRunsTable({
      all,
      shown: this.filter.apply(all, this.metric),
      columns: tableColumns(this.columns, all),
      filter: this.filter.text,
      filterError: this.filter.rejected?.error ?? null,
      filterSeq: this.filterSeq,
      notes: this.filter.notes(all, this.metric),
    });
    void this.post(data);
  }

  private async post(message: ToRunsView): Promise<void> {
    await this.panel?.webview.postMessage(message);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
