import { randomUUID } from 'node:crypto';
import type { KernelConnection } from '../../kernels/jupyterLib';
import type { ColumnSummary, DatasetColumn, DatasetInfo, DatasetOrigin, DatasetPage, DatasetSource, DatasetView, LabelBalance } from '../datasetSource';
import { callHelper, KernelDataProblem, type HelperRequest } from './kernelHelper';

// A pandas / polars DataFrame or a 1-D / 2-D numpy array in a live kernel, as the Dataset viewer
// and the tools read it. The kernel does the work (kernelHelperSource.ts): filters and sorts run
// in pandas or polars, the view's row positions stay in the kernel (one view per source), and
// each call brings back one page, one summary or one label balance.

export type KernelLibrary = 'pandas' | 'polars' | 'numpy';

export interface KernelDatasetOptions {
  /** How long a request waits for the kernel: a kernel running a cell answers after it. */
  readonly timeoutMs?: number;
  /** Shown as the dataset's label (defaults to the variable's name). */
  readonly label?: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** A Python identifier, the only thing a variable name may be (it travels inside a request, never as code). */
export function isVariableName(name: string): boolean {
  return /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name);
}

export class KernelDatasetSource implements DatasetSource {
  readonly origin: DatasetOrigin;
  /** The kernel-side cache entry of this source's current view. */
  private readonly handle = randomUUID();
  private readonly timeoutMs: number;
  private readonly label: string;
  private disposed = false;

  private constructor(
    private readonly kernel: KernelConnection,
    readonly variable: string,
    readonly library: KernelLibrary,
    options: KernelDatasetOptions,
  ) {
    this.origin = { kind: 'kernel', variable, library };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.label = options.label ?? variable;
  }

  /** Checks that `variable` holds a DataFrame or array and finds which library's. */
  static async open(kernel: KernelConnection, variable: string, signal: AbortSignal, options: KernelDatasetOptions = {}): Promise<KernelDatasetSource> {
    if (!isVariableName(variable)) throw new KernelDataProblem(`${variable} is not a variable name`, 'name');
    const probe = await callHelper<{ library: KernelLibrary }>(kernel, { op: 'probe', name: variable, handle: '' }, signal, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return new KernelDatasetSource(kernel, variable, probe.library, options);
  }

  async info(view: DatasetView, signal: AbortSignal): Promise<DatasetInfo> {
    const r = await this.call<{ columns: DatasetColumn[]; totalRows: number; viewRows: number; version: string }>({ op: 'info', view }, signal);
    return { label: this.label, columns: r.columns, totalRows: r.totalRows, viewRows: r.viewRows, version: r.version };
  }

  async rows(view: DatasetView, offset: number, limit: number, signal: AbortSignal): Promise<DatasetPage> {
    const r = await this.call<DatasetPage>({ op: 'rows', view, offset: Math.max(0, Math.floor(offset)), limit: Math.max(0, Math.floor(limit)) }, signal);
    return { offset: r.offset, rows: r.rows };
  }

  summarize(column: string, view: DatasetView, signal: AbortSignal): Promise<ColumnSummary> {
    return this.call<ColumnSummary>({ op: 'summarize', view, column }, signal);
  }

  labelBalance(column: string, view: DatasetView, limit: number, signal: AbortSignal): Promise<LabelBalance> {
    return this.call<LabelBalance>({ op: 'balance', view, column, limit: Math.max(0, Math.floor(limit)) }, signal);
  }

  /** Frees the view's row positions in the kernel; the helper module itself stays for the next source. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.kernel.isDisposed) return;
    try {
      await callHelper(this.kernel, { op: 'drop', handle: this.handle }, AbortSignal.timeout(10_000), 10_000);
    } catch {
      // A dead or restarted kernel holds nothing of ours any more.
    }
  }

  private call<T>(request: HelperRequest, signal: AbortSignal): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('this kernel dataset was closed'));
    return callHelper<T>(this.kernel, { ...request, name: this.variable, library: this.library, handle: this.handle }, signal, this.timeoutMs);
  }
}
