import { describeError, isAbortError, isUserError } from '../common/errors';
import { rowsAsTsv } from './clipboardText';
import { EMPTY_VIEW, type ColumnSummary, type DatasetColumn, type DatasetOrigin, type DatasetSource, type DatasetView } from './datasetSource';
import type { FileDatasetSource } from './engine/fileDatasetSource';
import type { SummaryKey, SummaryStore } from './summaryStore';
import { MAX_COPY_ROWS, type CodeLanguage, type CompareRequest, type DatasetComparison, type DatasetHeading, type FromDataView, type ToDataView } from './protocol';

/** What the grid can do beyond reading rows; each is optional (a kernel frame has no second file to compare). */
export interface DatasetActions {
  /** Writes the clipboard (the host's: a webview cannot be trusted with it). */
  writeClipboard(text: string): Promise<void>;
  /** The code that reproduces the view (src/data/copyAsCode.ts). */
  copyAsCode?(origin: DatasetOrigin, view: DatasetView, language: CodeLanguage, columns: readonly DatasetColumn[]): string | Promise<string>;
  /** Asks for a second file and compares it with this one; undefined when the person cancelled. */
  compare?(view: DatasetView, signal: AbortSignal, request: CompareRequest): Promise<DatasetComparison | undefined>;
  /** Something failed that is ours, not the data's: for the log. */
  logFault?(message: string): void;
}

/** Times a request is tried again when it was aborted although nobody here cancelled it. */
const RETRIES_NOT_OURS = 2;

/**
 * Runs `work`; an AbortError while `signal` is not aborted was someone else's cancel (a step shared
 * with another request, an engine restarted): the work is tried again, at most RETRIES_NOT_OURS times.
 */
async function notOurs<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isAbortError(error) || signal.aborted || attempt >= RETRIES_NOT_OURS) throw error;
    }
  }
}

/** Summaries kept per session: a column's summary for one view of one version of the data. */
const SUMMARY_CACHE = 200;

/**
 * The host's side of one grid, free of VS Code: it applies the page's view, answers its page,
 * summary and label-balance requests from the source, cancels those the page no longer needs
 * (and all of them when the view changes or the grid closes), and drops answers for a view the
 * page has left. Messages arrive validated (parseFromDataView).
 */
export class DatasetSession {
  private gen = -1;
  private view: DatasetView = EMPTY_VIEW;
  private version: string | undefined;
  private columns: readonly DatasetColumn[] = [];
  private readonly inFlight = new Map<number, AbortController>();
  /** Aborted when the view changes: everything asked for the old view stops. */
  private viewController = new AbortController();
  private readonly closed = new AbortController();
  private readonly summaries = new Map<string, ColumnSummary>();
  private comparing: AbortController | undefined;
  /** Settles when the current view's exact info is in (or failed): the store's key needs its version and types. */
  private infoSettled: Promise<void> = Promise.resolve();

  /**
   * `store`: summaries kept across grids and windows (summaryStore.ts), for a file's source only;
   * with its info too, a big file opened again shows its row count and reads nothing whole.
   */
  constructor(
    private readonly source: DatasetSource & Partial<Pick<FileDatasetSource, 'adopt' | 'settled'>>,
    private readonly heading: DatasetHeading,
    private readonly post: (message: ToDataView) => unknown,
    private readonly actions: DatasetActions,
    private readonly store?: Pick<SummaryStore, 'get' | 'put'> & Partial<Pick<SummaryStore, 'getInfo' | 'putInfo'>>,
  ) {
    // Looked up now: the source's open waits for it, and uses it only for the version it names.
    const origin = source.origin;
    if (origin.kind === 'file' && store?.getInfo && source.adopt) source.adopt(store.getInfo(origin.path));
  }

  async handle(message: FromDataView): Promise<void> {
    if (this.closed.signal.aborted) return;
    switch (message.type) {
      case 'ready':
        await this.send({ type: 'heading', heading: this.heading });
        return;
      case 'view':
        return this.setView(message.gen, message.view);
      case 'rows':
        return this.answer(message.gen, message.id, async (signal) => ({ type: 'page', gen: message.gen, id: message.id, page: await this.source.rows(this.view, message.offset, message.limit, signal) }));
      case 'summarize':
        return this.answer(message.gen, message.id, async (signal) => ({ type: 'summary', gen: message.gen, id: message.id, summary: await this.summary(message.column, signal) }));
      case 'balance':
        return this.answer(message.gen, message.id, async (signal) => ({ type: 'balance', gen: message.gen, id: message.id, balance: await this.source.labelBalance(message.column, this.view, 50, signal) }));
      case 'cancel':
        for (const id of message.ids) this.inFlight.get(id)?.abort();
        return;
      case 'copyRows':
        return this.copyRows(message);
      case 'copyCode':
        return this.copyCode(message.gen, message.language);
      case 'compare':
        return this.compare({ ...(message.target ? { target: message.target } : {}), ...(message.keyColumns ? { keyColumns: message.keyColumns } : {}) });
    }
  }

  /** The data changed (file rewritten, cell run): cached summaries go and the page asks again. */
  async changed(): Promise<void> {
    this.summaries.clear();
    await this.send({ type: 'changed' });
  }

  dispose(): void {
    this.closed.abort();
    this.viewController.abort();
    this.comparing?.abort();
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }

  private async setView(gen: number, view: DatasetView): Promise<void> {
    if (gen <= this.gen) return;
    this.gen = gen;
    this.view = view;
    this.viewController.abort();
    this.viewController = new AbortController();
    const signal = AbortSignal.any([this.viewController.signal, this.closed.signal]);
    let settle = (): void => undefined;
    this.infoSettled = new Promise<void>((resolve) => (settle = resolve));
    try {
      const exact = notOurs(() => this.source.info(view, signal), signal);
      // The first rows while the rest is counted: the grid draws them and the count follows.
      const quick = await this.source.quickInfo?.(view, signal).catch(() => undefined);
      if (quick && gen === this.gen && !signal.aborted) {
        this.columns = quick.columns;
        await this.send({ type: 'info', gen, info: quick });
      }
      const info = await exact;
      if (info.version !== this.version) this.summaries.clear();
      this.version = info.version;
      this.columns = info.columns;
      if (gen === this.gen) await this.send({ type: 'info', gen, info });
      this.keepInfo();
    } catch (error) {
      // Only this view's own cancel is silent: any other abort must reach the grid, or it waits on "Applying…" for ever.
      if (signal.aborted) return;
      if (gen === this.gen) await this.send({ type: 'failed', gen, message: this.say(error) });
    } finally {
      settle();
    }
  }

  /** Runs one request of the current view under its own controller; its answer goes only if the view is still current. */
  private async answer(gen: number, id: number, work: (signal: AbortSignal) => Promise<ToDataView>): Promise<void> {
    if (gen !== this.gen) return;
    const own = new AbortController();
    this.inFlight.get(id)?.abort();
    this.inFlight.set(id, own);
    const signal = AbortSignal.any([own.signal, this.viewController.signal, this.closed.signal]);
    try {
      const reply = await notOurs(() => work(signal), signal);
      if (!signal.aborted && gen === this.gen) await this.send(reply);
    } catch (error) {
      if (signal.aborted) return;
      if (gen === this.gen) await this.send({ type: 'failed', gen, id, message: this.say(error) });
    } finally {
      if (this.inFlight.get(id) === own) this.inFlight.delete(id);
    }
  }

  private async summary(column: string, signal: AbortSignal): Promise<ColumnSummary> {
    // Sort does not change a summary: only the filters key it.
    const key = JSON.stringify([this.version, this.view.filters, column]);
    const cached = this.summaries.get(key);
    if (cached) return cached;
    const stored = await this.storeKey(column, signal);
    let summary = stored && (await this.store?.get(stored));
    if (!summary) {
      summary = await this.source.summarize(column, this.view, signal);
      // Keyed by what it was computed as: the type it has, the columns read as text by now.
      const origin = this.source.origin;
      if (stored && origin.kind === 'file') void this.store?.put({ ...stored, type: summary.type, textColumns: origin.textColumns ?? [] }, summary);
      this.keepInfo();
    }
    this.summaries.set(key, summary);
    if (this.summaries.size > SUMMARY_CACHE) this.summaries.delete(this.summaries.keys().next().value!);
    return summary;
  }

  /** Keeps what the source settled about its file (a count, the columns a late value made text), not waited for. */
  private keepInfo(): void {
    const origin = this.source.origin;
    if (origin.kind !== 'file' || !this.store?.putInfo || !this.source.settled) return;
    void this.source.settled().then((known) => known && this.store?.putInfo?.(origin.path, known));
  }

  /**
   * The store's key for a column of the current view, once the view's exact info is in (a quick
   * one's types may not be the table's); undefined without a store or for a kernel's frame (its
   * version, the execution count, means nothing after a restart).
   */
  private async storeKey(column: string, signal: AbortSignal): Promise<SummaryKey | undefined> {
    if (!this.store || this.source.origin.kind !== 'file') return undefined;
    await Promise.race([this.infoSettled, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
    const origin = this.source.origin;
    const type = this.columns.find((c) => c.name === column)?.type;
    if (signal.aborted || origin.kind !== 'file' || this.version === undefined || type === undefined) return undefined;
    return { path: origin.path, version: this.version, filters: this.view.filters, column, type, textColumns: origin.textColumns ?? [] };
  }

  private async copyRows(message: Extract<FromDataView, { type: 'copyRows' }>): Promise<void> {
    if (message.gen !== this.gen) return;
    const signal = AbortSignal.any([this.viewController.signal, this.closed.signal]);
    try {
      const [info, page] = await Promise.all([this.source.info(this.view, signal), this.source.rows(this.view, message.offset, message.count, signal)]);
      const names = info.columns.map((c) => c.name);
      const picked = message.columns ? message.columns.map((c) => names.indexOf(c)).filter((i) => i >= 0) : names.map((_, i) => i);
      if (picked.length === 0) throw new Error('none of the columns to copy is in the data any more');
      const rows = page.rows.map((row) => picked.map((i) => row[i] ?? null));
      await this.actions.writeClipboard(rowsAsTsv(message.header ? picked.map((i) => names[i]!) : undefined, rows));
      const n = (x: number): string => x.toLocaleString('en-US');
      const what = rows.length === 1 && picked.length === 1 && !message.header ? 'the cell' : `${n(rows.length)} row${rows.length === 1 ? '' : 's'}`;
      // A copy stops at MAX_COPY_ROWS: a bigger selection is said to be cut, and where all of it is.
      const selected = message.selected ?? 0;
      const text = selected > rows.length ? `Copied the first ${n(rows.length)} of ${n(selected)} selected rows (a copy stops at ${n(MAX_COPY_ROWS)}; Copy as Code reads them all)` : `Copied ${what}`;
      await this.send({ type: 'notice', text });
    } catch (error) {
      if (isAbortError(error) || signal.aborted) return;
      await this.send({ type: 'notice', error: true, text: `Copy failed: ${this.say(error)}` });
    }
  }

  private async copyCode(gen: number, language: CodeLanguage): Promise<void> {
    if (gen !== this.gen || !this.actions.copyAsCode) return;
    try {
      await this.actions.writeClipboard(await this.actions.copyAsCode(this.source.origin, this.view, language, this.columns));
      await this.send({ type: 'notice', text: `Copied the ${language === 'sql' ? 'SQL (DuckDB)' : language} code for this view` });
    } catch (error) {
      await this.send({ type: 'notice', error: true, text: `Copy as Code failed: ${this.say(error)}` });
    }
  }

  private async compare(request: CompareRequest): Promise<void> {
    if (!this.actions.compare) return;
    this.comparing?.abort();
    const controller = (this.comparing = new AbortController());
    const signal = AbortSignal.any([controller.signal, this.closed.signal]);
    try {
      const comparison = await this.actions.compare(this.view, signal, request);
      if (comparison && !signal.aborted) await this.send({ type: 'comparison', comparison });
    } catch (error) {
      if (isAbortError(error) || signal.aborted) return;
      await this.send({ type: 'notice', error: true, text: `Compare failed: ${this.say(error)}` });
    }
  }

  /** A UserError is the data's problem, said as it is; anything else is ours and goes to the log too. */
  private say(error: unknown): string {
    if (isAbortError(error)) return 'the data engine stopped this request; change the view or scroll to ask again';
    const text = describeError(error);
    if (!isUserError(error)) this.actions.logFault?.(`dataset ${this.heading.title}: ${text}`);
    return text;
  }

  private async send(message: ToDataView): Promise<void> {
    if (this.closed.signal.aborted) return;
    await this.post(message);
  }
}
