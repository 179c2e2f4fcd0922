import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A loopback stand-in for an MLflow tracking server's Model Registry REST API, as MLflow's REST
// reference documents it (mlflow/mlflow docs/api_reference/source/rest-api.rst: "Search
// RegisteredModels" GET 2.0/mlflow/registered-models/search, "Search ModelVersions" GET
// 2.0/mlflow/model-versions/search, "Set Registered Model Alias" POST
// 2.0/mlflow/registered-models/alias, "Transition ModelVersion Stage" POST
// 2.0/mlflow/model-versions/transition-stage, "Set Registered Model Tag" POST
// 2.0/mlflow/registered-models/set-tag) and as its server checks requests
// (mlflow/server/handlers.py: POST bodies must be application/json; required fields;
// max_results ≤ 1000 for models; page tokens are base64 of {"offset": n} as
// SearchUtils.create_page_token makes them; mlflow/utils/validation.py for alias names). Answers
// are shaped as MLflow's message_to_json makes them: int64 timestamps as numbers, versions as
// strings, empty lists left out. MLflow itself cannot be installed here (no PyPI), so nothing was
// recorded from a real server; `legacy` plays a server from before aliases (MLflow < 2.3), whose
// alias endpoint is Flask's plain 404 page.

export interface StandinVersion {
  version: number;
  stage: string;
  runId?: string;
  source?: string;
  status?: string;
  tags?: Record<string, string>;
  updated: number;
}

export interface StandinModel {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  aliases: Record<string, number>;
  versions: StandinVersion[];
  updated: number;
}

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body?: unknown;
}

export interface RegistryStandin {
  readonly url: string;
  readonly models: StandinModel[];
  readonly seen: Seen[];
  close(): Promise<void>;
}

const T0 = 1_721_450_907_221;
const API = '/api/2.0/mlflow/';

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const token = (offset: number): string => Buffer.from(JSON.stringify({ offset })).toString('base64');
function offsetOf(pageToken: string | undefined): number {
  if (!pageToken) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(pageToken, 'base64').toString('utf8'));
  } catch {
    throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'Invalid page token, could not base64-decode');
  }
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  if (typeof offset !== 'number' || offset < 0) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid page token, offset must be a positive integer`);
  return offset;
}

function maxResults(raw: string | undefined, fallback: number, threshold: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value "${raw}" for parameter 'max_results' supplied: Value must be an integer`);
  const n = Number(raw);
  if (n < 1) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value for max_results. It must be a positive integer, but got ${n}`);
  if (n > threshold) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value for request parameter max_results. It must be at most ${threshold}, but got value ${n}`);
  return n;
}

const required = (body: Record<string, unknown>, key: string): string => {
  const v = body[key];
  if (v === undefined || v === null || v === '') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${key}'. See the API docs for more information about request parameters.`);
  if (typeof v !== 'string') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(v)} for parameter '${key}' supplied. Hint: Value was of type '${typeof v}'. See the API docs for more information about request parameters.`);
  return v;
};

function versionJson(m: StandinModel, v: StandinVersion, legacy: boolean): Record<string, unknown> {
  const aliases = Object.entries(m.aliases).filter(([, n]) => n === v.version).map(([a]) => a);
  const tags = Object.entries(v.tags ?? {}).map(([key, value]) => ({ key, value }));
  return {
    name: m.name,
    version: String(v.version),
    creation_timestamp: T0 + v.version * 1000,
    last_updated_timestamp: v.updated,
    current_stage: v.stage,
    description: '',
    source: v.source ?? `mlflow-artifacts:/1/${v.runId ?? 'x'}/artifacts/model`,
    ...(v.runId ? { run_id: v.runId } : {}),
    status: v.status ?? 'READY',
    ...(tags.length ? { tags } : {}),
    run_link: '',
    ...(!legacy && aliases.length ? { aliases } : {}),
  };
}

function modelJson(m: StandinModel, legacy: boolean): Record<string, unknown> {
  // latest_versions: the newest READY version per stage (get_latest_versions).
  const latest = new Map<string, StandinVersion>();
  for (const v of m.versions) if ((v.status ?? 'READY') === 'READY' && v.stage !== 'Deleted_Internal' && (latest.get(v.stage)?.version ?? -1) < v.version) latest.set(v.stage, v);
  const tags = Object.entries(m.tags ?? {}).map(([key, value]) => ({ key, value }));
  const aliases = Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) }));
  return {
    name: m.name,
    creation_timestamp: T0,
    last_updated_timestamp: m.updated,
    ...(m.description ? { description: m.description } : {}),
    ...(latest.size ? { latest_versions: [...latest.values()].map((v) => versionJson(m, v, legacy)) } : {}),
    ...(tags.length ? { tags } : {}),
    ...(!legacy && aliases.length ? { aliases } : {}),
  };
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data));
  });

const ALIAS_RE = /^[\p{L}\p{N}_-]*$/u;

/** Starts the stand-in on 127.0.0.1 (port 0) holding `models`; `legacy`: a server from before aliases. */
export function startRegistryStandin(models: StandinModel[], options: { legacy?: boolean; token?: string } = {}): Promise<RegistryStandin> {
  const legacy = options.legacy === true;
  const seen: Seen[] = [];
  const model = (name: string): StandinModel => {
    const m = models.find((x) => x.name === name);
    if (!m) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    return m;
  };
  const version = (m: StandinModel, raw: string): StandinVersion => {
    if (!/^-?\d+$/.test(raw)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Parameter 'version' must be an integer, got '${raw}'.`);
    const v = m.versions.find((x) => x.version === Number(raw) && x.stage !== 'Deleted_Internal');
    if (!v) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${m.name}, version=${raw}) not found`);
    return v;
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const text = await readBody(req);
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      try {
        const query = Object.fromEntries(url.searchParams);
        let body: Record<string, unknown> = {};
        if (req.method === 'POST') {
          if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json'].");
          try {
            body = JSON.parse(text || '{}') as Record<string, unknown>;
          } catch {
            throw new ApiError(400, 'MALFORMED_REQUEST', 'Malformed request: the body is not JSON');
          }
        }
        seen.push({ method: req.method ?? '', path: url.pathname, query, ...(req.method === 'POST' ? { body } : {}) });
        if (options.token && req.headers.authorization !== `Bearer ${options.token}`) throw new ApiError(401, 'UNAUTHENTICATED', 'Credential was not sent or was of an unsupported type');
        const route = `${req.method} ${url.pathname.startsWith(API) ? url.pathname.slice(API.length) : url.pathname}`;
        switch (route) {
          case 'GET registered-models/search': {
            const size = maxResults(query.max_results, 100, 1000);
            const at = offsetOf(query.page_token);
            const all = [...models].sort((a, b) => a.name.localeCompare(b.name));
            return send(200, { registered_models: all.slice(at, at + size).map((m) => modelJson(m, legacy)), ...(at + size < all.length ? { next_page_token: token(at + size) } : {}) });
          }
          case 'GET model-versions/search': {
            const size = maxResults(query.max_results, 10_000, 200_000);
            const at = offsetOf(query.page_token);
            const filter = query.filter ? /^name\s*=\s*'([^']*)'$/.exec(query.filter) : null;
            if (query.filter && !filter) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid filter '${query.filter}'`);
            const all = models.filter((m) => !filter || m.name === filter[1]).flatMap((m) => m.versions.filter((v) => v.stage !== 'Deleted_Internal').map((v) => versionJson(m, v, legacy)));
            return send(200, { model_versions: all.slice(at, at + size), ...(at + size < all.length ? { next_page_token: token(at + size) } : {}) });
          }
          case 'POST registered-models/alias': {
            if (legacy) break;
            const m = model(required(body, 'name'));
            const alias = required(body, 'alias');
            if (!ALIAS_RE.test(alias)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
            if (alias.toLowerCase() === 'latest') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "'latest' alias name (case insensitive) is reserved.");
            if (/^[vV]\d+$/.test(alias)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Version alias name '${alias}' is reserved.`);
            const v = version(m, required(body, 'version'));
            m.aliases[alias] = v.version;
            return send(200, {});
          }
          case 'POST registered-models/set-tag': {
            // "Set Registered Model Tag" (MLflow 1.x on): validation.py _validate_tag_name (pre-2.x
            // rule: alphanumerics, _ - . space /; at most 250 characters).
            const m = model(required(body, 'name'));
            const key = required(body, 'key');
            if (!/^[/\p{L}\p{N}_.\- ]*$/u.test(key)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid tag name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`);
            if (key.length > 250) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Tag key '${key.slice(0, 20)}...' had length ${key.length}, which exceeded length limit of 250`);
            // handlers.py: value is _assert_string, not _assert_required.
            const value = body.value ?? '';
            if (typeof value !== 'string') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(value)} for parameter 'value' supplied. Hint: Value was of type '${typeof value}'. See the API docs for more information about request parameters.`);
            m.tags = { ...(m.tags ?? {}), [key]: value };
            m.updated = Date.now();
            return send(200, {});
          }
          case 'POST model-versions/transition-stage': {
            const m = model(required(body, 'name'));
            const v = version(m, required(body, 'version'));
            const stage = ['None', 'Staging', 'Production', 'Archived'].find((s) => s.toLowerCase() === required(body, 'stage').toLowerCase());
            if (!stage) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid Model Version stage: ${String(body.stage)}. Value must be one of None, Staging, Production, Archived.`);
            if (typeof body.archive_existing_versions !== 'boolean') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'archive_existing_versions'. See the API docs for more information about request parameters.");
            const now = Date.now();
            if (body.archive_existing_versions) for (const o of m.versions) if (o !== v && o.stage === stage) Object.assign(o, { stage: 'Archived', updated: now });
            Object.assign(v, { stage, updated: now });
            m.updated = now;
            return send(200, { model_version: versionJson(m, v, legacy) });
          }
        }
        // Flask's own 404 for a route the server does not have: HTML, not MLflow's JSON.
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.</p>\n');
      } catch (error) {
        if (error instanceof ApiError) send(error.status, { error_code: error.code, message: error.message });
        else send(500, { error_code: 'INTERNAL_ERROR', message: (error as Error).message });
      }
    })();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, models, seen, close: () => new Promise((r) => server.close(() => r())) }),
    ),
  );
}

/** A registry of `count` models of three versions each (aliases and stages), for paging. */
export function standinModels(count: number): StandinModel[] {
  return Array.from({ length: count }, (_, i): StandinModel => ({
    name: `model-${String(i).padStart(4, '0')}`,
    ...(i === 0 ? { description: 'churn classifier', tags: { team: 'growth' } } : {}),
    aliases: i % 2 === 0 ? { champion: 2, challenger: 3 } : {},
    updated: T0 + 5000,
    versions: [1, 2, 3].map((v) => ({ version: v, stage: v === 2 ? 'Production' : v === 1 ? 'Archived' : 'None', runId: `${String(i).padStart(4, '0')}${'r'.repeat(27)}${v}`, updated: T0 + v * 1000, ...(v === 3 && i === 0 ? { tags: { validated: 'yes' } } : {}) })),
  }));
}
