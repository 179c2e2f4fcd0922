import { byStep, type ExperimentRecord, type MetricPoint, type MetricSummary, type RunRecord, type RunSource, type RunStatus, type SourceSnapshot } from './runModel';

// An MLflow tracking server over its REST API (docs/formats.md §1.4): experiments/search,
// runs/search and metrics/get-history, each paged with page_token. The token (from SecretStorage)
// goes in an Authorization header: "user:password" as Basic (MLflow's basic-auth app), anything else
// as a Bearer token (Databricks and most gateways).

const STATUSES: Record<string, RunStatus> = { RUNNING: 'running', SCHEDULED: 'scheduled', FINISHED: 'finished', FAILED: 'failed', KILLED: 'killed' };
const MAX_PAGES = 50;
const MAX_RUNS = 10_000;
const TIMEOUT_MS = 15_000;

interface ApiRun {
  info?: { run_id?: string; run_uuid?: string; run_name?: string; experiment_id?: string; status?: string; start_time?: number | string; end_time?: number | string; artifact_uri?: string; lifecycle_stage?: string };
  data?: { metrics?: { key: string; value: number | string; timestamp?: number | string; step?: number | string }[]; params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
}

export class MlflowServerError extends Error {
  override readonly name = 'MlflowServerError';
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

  private async call<T>(path: string, init: { method: 'GET' | 'POST'; body?: unknown; query?: Record<string, string> }, signal?: AbortSignal): Promise<T> {
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
      throw new MlflowServerError(`${this.root} answered ${response.status}: ${detail}${hint}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MlflowServerError(`${this.root} did not answer with JSON: is it an MLflow tracking server?`);
    }
  }

  async load(signal?: AbortSignal): Promise<SourceSnapshot> {
    try {
      const experiments: { experiment_id: string; name: string; lifecycle_stage?: string }[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const body: { experiments?: typeof experiments; next_page_token?: string } = await this.call('experiments/search', { method: 'POST', body: { max_results: 1000, ...(token ? { page_token: token } : {}) } }, signal);
        experiments.push(...(body.experiments ?? []));
        token = body.next_page_token;
        if (!token) break;
      }
      const byId = new Map<string, { record: Omit<ExperimentRecord, 'runs'>; runs: RunRecord[] }>(
        experiments.map((e) => [String(e.experiment_id), { record: { id: String(e.experiment_id), name: e.name, deleted: e.lifecycle_stage === 'deleted' }, runs: [] }]),
      );
      const problems: string[] = [];
      let total = 0;
      const ids = [...byId.keys()];
      // runs/search takes a list of experiments; batches keep each request small.
      for (let i = 0; i < ids.length && total < MAX_RUNS; i += 50) {
        token = undefined;
        for (let page = 0; page < MAX_PAGES && total < MAX_RUNS; page++) {
          const body: { runs?: ApiRun[]; next_page_token?: string } = await this.call(
            'runs/search',
            { method: 'POST', body: { experiment_ids: ids.slice(i, i + 50), max_results: 1000, run_view_type: 'ACTIVE_ONLY', order_by: ['attributes.start_time DESC'], ...(token ? { page_token: token } : {}) } },
            signal,
          );
          for (const run of body.runs ?? []) {
            const record = this.toRun(run, byId);
            if (record) {
              byId.get(String(run.info?.experiment_id))?.runs.push(record);
              total++;
            }
          }
          token = body.next_page_token;
          if (!token) break;
        }
      }
      if (total >= MAX_RUNS) problems.push(`only the newest ${MAX_RUNS} runs are listed`);
      return { experiments: [...byId.values()].map((e) => ({ ...e.record, runs: e.runs })), problems };
    } catch (error) {
      return { experiments: [], problems: [(error as Error).message] };
    }
  }

  private toRun(run: ApiRun, experiments: Map<string, { record: Omit<ExperimentRecord, 'runs'> }>): RunRecord | undefined {
    const info = run.info ?? {};
    const runId = info.run_id ?? info.run_uuid;
    if (!runId) return undefined;
    const pairs = (list: { key: string; value: string }[] | undefined): Record<string, string> => Object.fromEntries((list ?? []).map((p) => [p.key, p.value]));
    const tags = pairs(run.data?.tags);
    const metrics: MetricSummary[] = (run.data?.metrics ?? []).map((m) => ({ key: m.key, last: metricValue(m.value), lastStep: num(m.step) ?? 0 }));
    return {
      key: `${this.id}#${runId}`,
      source: this.kind,
      sourceId: this.id,
      experiment: experiments.get(String(info.experiment_id))?.record.name ?? String(info.experiment_id),
      runId,
      name: info.run_name || tags['mlflow.runName'] || runId,
      status: STATUSES[info.status ?? ''] ?? 'unknown',
      ...(info.lifecycle_stage === 'deleted' ? { deleted: true } : {}),
      startTime: num(info.start_time),
      endTime: num(info.end_time),
      params: pairs(run.data?.params),
      tags,
      metrics: metrics.sort((a, b) => a.key.localeCompare(b.key)),
      location: `${this.root}/#/experiments/${info.experiment_id}/runs/${runId}`,
      problems: [],
    };
  }

  async history(run: RunRecord, key: string, signal?: AbortSignal): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body: { metrics?: { value: number | string; timestamp?: number | string; step?: number | string }[]; next_page_token?: string } = await this.call(
        'metrics/get-history',
        { method: 'GET', query: { run_id: run.runId, metric_key: key, max_results: '25000', ...(token ? { page_token: token } : {}) } },
        signal,
      );
      for (const m of body.metrics ?? []) points.push({ step: num(m.step) ?? 0, time: num(m.timestamp), value: metricValue(m.value) });
      token = body.next_page_token;
      if (!token) break;
    }
    return byStep(points);
  }
}

