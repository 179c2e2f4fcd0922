/**
 * JupyterHub, for URLs people paste: a hub's own pages lead to the user's server, whose API is
 * the Jupyter API at `/user/NAME/` (or `/user/NAME/SERVER/` for a named server). When that
 * server does not answer, the hub's REST API says why: the token was revoked, or the server
 * is not running (stopped for idleness, or never started).
 */

/** `https://hub/prefix/user/alice/` → the hub at `https://hub/prefix/`, user alice, the default server. */
export function hubUserPath(baseUrl: string): { readonly hubUrl: string; readonly user: string; readonly server: string } | undefined {
  const url = new URL(baseUrl);
  const match = /^(.*\/)user\/([^/]+)\/(?:([^/]+)\/)?$/.exec(url.pathname);
  if (!match) return undefined;
  return { hubUrl: `${url.origin}${match[1]}`, user: decodeURIComponent(match[2]!), server: match[3] ? decodeURIComponent(match[3]) : '' };
}

export type HubAnswer =
  /** Nothing at `hub/api/` answers as JupyterHub does. */
  | { readonly kind: 'not-a-hub' }
  | { readonly kind: 'refused'; readonly problem: string }
  | {
      readonly kind: 'user';
      readonly hubUrl: string;
      readonly name: string;
      /** Absolute URLs of the user's servers that are ready, by server name ('' is the default one). */
      readonly ready: ReadonlyMap<string, string>;
    };

interface HubUserModel {
  readonly name?: unknown;
  readonly server?: unknown;
  readonly servers?: Record<string, { readonly ready?: unknown; readonly url?: unknown } | undefined>;
}

/** Asks the hub at `hubUrl` who the token belongs to and which of their servers run. */
export async function askHub(hubUrl: string, token: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<HubAnswer> {
  const signal = (): AbortSignal => AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(options.signal ? [options.signal] : [])]);
  try {
    // The hub's API root answers without a token: {"version": "..."}.
    const root = await fetch(new URL('hub/api/', hubUrl), { signal: signal(), redirect: 'manual' });
    const version = root.ok ? ((await root.json().catch(() => undefined)) as { version?: unknown } | undefined)?.version : undefined;
    if (typeof version !== 'string') return { kind: 'not-a-hub' };
    const response = await fetch(new URL('hub/api/user', hubUrl), {
      headers: token ? { Authorization: `token ${token}` } : {},
      signal: signal(),
      redirect: 'manual',
    });
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      return {
        kind: 'refused',
        problem: `The JupyterHub at ${hubUrl} refused the token (HTTP ${response.status}): it was revoked or has expired. Make a new one on ${new URL('hub/token', hubUrl).href} and connect again.`,
      };
    }
    if (!response.ok) return { kind: 'not-a-hub' };
    const model = (await response.json()) as HubUserModel;
    const ready = new Map<string, string>();
    for (const [name, server] of Object.entries(model.servers ?? {})) {
      if (server?.ready === true && typeof server.url === 'string') ready.set(name, new URL(server.url, hubUrl).href);
    }
    // Without the read:servers scope only `server` (the default server's path, null when stopped) is there.
    if (!ready.has('') && typeof model.server === 'string') ready.set('', new URL(model.server, hubUrl).href);
    return { kind: 'user', hubUrl, name: typeof model.name === 'string' ? model.name : '', ready };
  } catch {
    return { kind: 'not-a-hub' };
  }
}

/**
 * Why a JupyterHub user server at `baseUrl` did not answer, in words, or undefined when the
 * hub has nothing to add (or `baseUrl` is not a hub user server).
 */
export async function hubProblem(baseUrl: string, token: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string | undefined> {
  const path = hubUserPath(baseUrl);
  if (!path) return undefined;
  const answer = await askHub(path.hubUrl, token, options);
  if (answer.kind === 'not-a-hub') return undefined;
  if (answer.kind === 'refused') return answer.problem;
  if (answer.name !== '' && answer.name !== path.user) {
    return `The token belongs to the JupyterHub user ${answer.name}, not ${path.user}: use ${path.user}'s token, or ${answer.name}'s server URL.`;
  }
  if (!answer.ready.has(path.server)) {
    const which = path.server ? `The server "${path.server}" of ${path.user}` : `${path.user}'s server`;
    return `${which} on the JupyterHub at ${path.hubUrl} is not running (a hub stops idle servers). Start it on ${new URL('hub/home', path.hubUrl).href}, then connect again.`;
  }
  return undefined;
}
