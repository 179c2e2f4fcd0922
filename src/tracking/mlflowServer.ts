import { byStep, type ExperimentRecord, type MetricPoint, type MetricSummary, type RunRecord, type RunSource, type RunStatus, type SourceSnapshot } from './runModel';
import { asMapping, ownValue, setOwn } from './ownProps';

// An MLflow tracking server over its REST API (docs/formats.md §1.4): experiments/search,
// runs/search and metrics/get-history, each paged with page_token. The token (from SecretStorage)
// goes in an Authorization header: "user:password" as Basic (MLflow's basic-auth app), anything else
// as a Bearer token (Databricks and most gateways).

const STATUSES: Record<string, RunStatus> = { RUNNING: 'running', SCHEDULED: 'scheduled', FINISHED: 'finished', FAILED: 'failed', KILLED: 'killed' };
const MAX_PAGES = 50;
const MAX_RUNS = 10_000;
const TIMEOUT_MS = 15_000;

// Answers are checked as they are read, not trusted to have the documented shape: a proxy, an old
// server or another service at the URL must give a clear problem, not a TypeError.
/** The array at `value`, or none. */
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/** A string or a number as text (ids come as either). */
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

export class MlflowServerError extends Error {
  override readonly name = 'MlflowServerError';
  /** The HTTP status when the server answered (404: an endpoint an older server lacks). */
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined);
/** The REST API sends NaN and infinities as strings. */
const metricValue = (v: unknown): number => (typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));

export class MlflowServer implements RunSource {
  readonly kind = 'mlflow-server' as const;
  readonly id: string;
  readonly root: string;
  readonly label: string;

  constructor(
    url: string,
    private readonly token: () => Promise<string | undefined>,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.root = url.replace(/\/+$/, '');
    this.id = `mlflow-server:${this.root}`;
    this.label = this.root.replace(/^https?:\/\//, '');
  }

  /** One REST call (the registry reader and Promote use it too); a non-2xx answer throws MlflowServerError with its status. */
  async call<T>(path: string, init: { method: 'GET' | 'POST' | 'DELETE'; body?: unknown; query?: Record<string, string> }, signal?: AbortSignal): Promise<T> {
    const url = new URL(`${this.root}/api/2.0/mlflow/${path}`);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await this.token();
    if (token) headers.authorization = token.includes(':') ? `Basic ${Buffer.from(token).toString('base64')}` : `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method: init.method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw new MlflowServerError(`cannot reach ${this.root} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message})`);
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 200);
      try {
        const body = JSON.parse(text) as { error_code?: string; message?: string };
        if (body.message) detail = `${body.error_code ?? ''} ${body.message}`.trim();
      } catch {
        // not JSON: keep the text
      }
      const hint = response.status === 401 || response.status === 403 ? ' (set its token with "ML Engineer: Set MLflow Server Token")' : '';
      throw new MlflowServerError(`${this.root} answered ${response.status}: ${detail}${hint}`, response.status);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MlflowServerError(`${this.root} did not answer with JSON: is it an MLflow tracking server?`);
    }
  }

  async load(signal?: AbortSignal): Promise<SourceSnapshot> {
    try {
      const experiments: { id: string; name: string; deleted: boolean }[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const body = asMapping(await this.call<unknown>('experiments/search', { method: 'POST', body: { max_results: 1000, ...(token ? { page_token: token } : {}) } }, signal));
        if (!body) throw new MlflowServerError(`${this.root} answered experiments/search with something other than an object: is it an MLflow tracking server?`);
        for (const e of list(body.experiments).map(asMapping)) {
          const id = text(e?.experiment_id);
          if (id !== undefined) experiments.push({ id, name: text(e?.name) ?? `experiment ${id}`, deleted: e?.lifecycle_stage === 'deleted' });
        }
        token = text(body.next_page_token);
        if (!token) break;
      }
      const byId = new Map<string, { record: Omit<ExperimentRecord, 'runs'>; runs: RunRecord[] }>(experiments.map((e) => [e.id, { record: e, runs: [] }]));
      const problems: string[] = [];
      let total = 0;
      const ids = [...byId.keys()];
      // runs/search takes a list of experiments; batches keep each request small.
      for (let i = 0; i < ids.length && total < MAX_RUNS; i += 50) {
        token = undefined;
        for (let page = 0; page < MAX_PAGES && total < MAX_RUNS; page++) {
          const body = asMapping(
            await this.call<unknown>(
              'runs/search',
              { method: 'POST', body: { experiment_ids: ids.slice(i, i + 50), max_results: 1000, run_view_type: 'ACTIVE_ONLY', order_by: ['attributes.start_time DESC'], ...(token ? { page_token: token } : {}) } },
              signal,
            ),
          );
          for (const run of list(body?.runs)) {
            const record = this.toRun(run, byId);
            if (record) {
              byId.get(record.experimentId)?.runs.push(record.run);
              total++;
            }
          }
          token = text(body?.next_page_token);
          if (!token) break;
        }
      }
      if (total >= MAX_RUNS) problems.push(`only the newest ${MAX_RUNS} runs are listed`);
      return { experiments: [...byId.values()].map((e) => ({ ...e.record, runs: e.runs })), problems };
    } catch (error) {
      return { experiments: [], problems: [(error as Error).message] };
    }
  }

  private toRun(value: unknown, experiments: Map<string, { record: Omit<ExperimentRecord, 'runs'> }>): { run: RunRecord; experimentId: string } | undefined {
    const run = asMapping(value);
    const info = asMapping(run?.info) ?? {};
    const data = asMapping(run?.data) ?? {};
    const runId = text(info.run_id) ?? text(info.run_uuid);
    if (!runId) return undefined;
    // Keys as own properties whatever they are ("__proto__" included); entries of the wrong shape are skipped.
    const pairs = (entries: unknown): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const entry of list(entries).map(asMapping)) {
        const key = text(entry?.key);
        if (key !== undefined) setOwn(out, key, text(entry?.value) ?? '');
      }
      return out;
    };
    const tags = pairs(data.tags);
    const metrics: MetricSummary[] = [];
    for (const m of list(data.metrics).map(asMapping)) {
      const key = text(m?.key);
      if (key !== undefined) metrics.push({ key, last: metricValue(m?.value), lastStep: num(m?.step) ?? 0 });
    }
    const experimentId = text(info.experiment_id) ?? '';
    return {
      experimentId,
      run: {
        key: `${this.id}#${runId}`,
        source: this.kind,
        sourceId: this.id,
        experiment: experiments.get(experimentId)?.record.name ?? experimentId,
        runId,
        name: text(info.run_name) || ownValue(tags, 'mlflow.runName') || runId,
        status: ownValue(STATUSES, text(info.status) ?? '') ?? 'unknown',
        ...(info.lifecycle_stage === 'deleted' ? { deleted: true } : {}),
        startTime: num(info.start_time),
        endTime: num(info.end_time),
        params: pairs(data.params),
        tags,
        metrics: metrics.sort((a, b) => a.key.localeCompare(b.key)),
        location: `${this.root}/#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`,
        problems: [],
      },
    };
  }

  async history(run: RunRecord, key: string, signal?: AbortSignal): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = asMapping(
        await this.call<unknown>('metrics/get-history', { method: 'GET', query: { run_id: run.runId, metric_key: key, max_results: '25000', ...(token ? { page_token: token } : {}) } }, signal),
      );
      for (const m of list(body?.metrics).map(asMapping)) if (m) points.push({ step: num(m.step) ?? 0, time: num(m.timestamp), value: metricValue(m.value) });
      token = text(body?.next_page_token);
      if (!token) break;
    }
    return byStep(points);
  }
}
