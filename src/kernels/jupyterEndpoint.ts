import { hubProblem } from './jupyterHub';
import type { JupyterLib } from './jupyterLib';

/** Where a Jupyter server answers: a local server we started, a remote server, a JupyterHub user server or an Enterprise Gateway. */
export interface JupyterEndpoint {
  /** Ends with `/`: e.g. `http://127.0.0.1:8888/` or `https://hub.example.org/user/alice/`. */
  readonly baseUrl: string;
  readonly token: string;
}

/** Normalises a URL a user typed or pasted (a browser address with `?token=` or `/lab` included). */
export function parseServerUrl(input: string): { baseUrl: string; token?: string } {
  const url = new URL(input.trim());
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.protocol} is not an http(s) URL`);
  const token = url.searchParams.get('token') ?? undefined;
  // Strip the front-end paths people copy from the address bar; the API lives beside them.
  // JupyterHub: `hub/user/NAME/...` redirects to the user's server at `user/NAME/`; the hub's
  // other pages (home, token, spawn, user-redirect) stand for the hub itself (connectServer
  // then asks it for the token owner's server).
  const path = url.pathname
    .replace(/\/hub\/user\/(?=[^/]+\/)/, '/user/')
    .replace(/(?<!\/user)\/hub(\/.*)?$/, '/')
    .replace(/\/(lab|tree|notebooks|edit|doc)(\/.*)?$/, '/')
    .replace(/(?<!\/user)\/api(\/.*)?$/, '/');
  const baseUrl = `${url.protocol}//${url.host}${path.endsWith('/') ? path : `${path}/`}`;
  return token ? { baseUrl, token } : { baseUrl };
}

export type ProbeResult =
  | { readonly ok: true; readonly specs: number }
  | { readonly ok: false; readonly problem: string; readonly reachable: boolean };

/**
 * Asks the server for its kernel specs: an authenticated call that Jupyter Server, the classic
 * notebook server, JupyterHub user servers and Enterprise Gateway all answer.
 */
export async function probeServer(endpoint: JupyterEndpoint, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  try {
    response = await fetch(new URL('api/kernelspecs', endpoint.baseUrl), {
      headers: endpoint.token ? { Authorization: `token ${endpoint.token}` } : {},
      signal: AbortSignal.any(signals),
      redirect: 'manual',
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const why = (error as Error).name === 'TimeoutError' ? 'did not answer in time' : cause ? `is not reachable (${cause})` : 'is not reachable';
    return { ok: false, reachable: false, problem: `${endpoint.baseUrl} ${why}` };
  }
  if (!response.ok) {
    // A JupyterHub user server that is stopped redirects to the hub, and one whose token was
    // revoked refuses it: the hub's API says which, in words a user can act on.
    const fromHub = await hubProblem(endpoint.baseUrl, endpoint.token, { timeoutMs: options.timeoutMs ?? 10_000, ...(options.signal ? { signal: options.signal } : {}) });
    if (fromHub) return { ok: false, reachable: true, problem: fromHub };
  }
  if (response.status === 401 || response.status === 403) {
    return { ok: false, reachable: true, problem: `${endpoint.baseUrl} refused the token (HTTP ${response.status}). Check the token, or create a new one on the server.` };
  }
  if (response.status >= 300 && response.status < 400) {
    return { ok: false, reachable: true, problem: `${endpoint.baseUrl} redirects to a login page (HTTP ${response.status}): it wants a token. For JupyterHub, use an API token from the hub's Token page.` };
  }
  if (!response.ok) {
    return { ok: false, reachable: true, problem: `${endpoint.baseUrl} answered HTTP ${response.status}: it does not look like a Jupyter server's base URL.` };
  }
  try {
    const body = (await response.json()) as { kernelspecs?: Record<string, unknown> };
    return { ok: true, specs: Object.keys(body.kernelspecs ?? {}).length };
  } catch {
    return { ok: false, reachable: true, problem: `${endpoint.baseUrl} answered, but not with Jupyter's kernel spec list.` };
  }
}

/** @jupyterlab/services settings for an endpoint, with Node's fetch and the ws WebSocket. */
export function serverSettings(lib: JupyterLib, endpoint: JupyterEndpoint) {
  return lib.ServerConnection.makeSettings({
    baseUrl: endpoint.baseUrl,
    wsUrl: endpoint.baseUrl.replace(/^http/, 'ws'),
    token: endpoint.token,
    appendToken: true,
    fetch: globalThis.fetch,
    WebSocket: lib.WebSocket as unknown as typeof globalThis.WebSocket,
    init: { cache: 'no-store' },
  });
}
