import { UserError } from '../common/errors';
import { askHub, hubUserPath } from './jupyterHub';
import { parseServerUrl, probeServer, serverSettings, type JupyterEndpoint } from './jupyterEndpoint';
import type { JupyterLib, KernelModel } from './jupyterLib';
import { explainServerError } from './serverErrors';

export interface KernelSpecInfo {
  readonly name: string;
  readonly displayName: string;
  readonly language: string;
}

/** A server "Connect to Jupyter Server" checked and will keep (URL in settings state, token in SecretStorage). */
export interface ConnectedServer extends JupyterEndpoint {
  /** Stable per base URL: the key of its token and of its notebooks' bindings. */
  readonly id: string;
  /** `host:port/path`, for the Kernels view and the kernel picker. */
  readonly label: string;
  readonly specs: number;
}

/**
 * The core of "Connect to Jupyter Server": the URL as typed or pasted (a JupyterLab address,
 * a JupyterHub user server, or a hub's own page, which leads to the token owner's server),
 * checked with the token before anything is kept. Throws a UserError that says what is wrong.
 */
export async function connectServer(url: string, token: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ConnectedServer> {
  const parsed = parseServerUrl(url);
  let endpoint: JupyterEndpoint = { baseUrl: parsed.baseUrl, token };
  let probe = await probeServer(endpoint, options);
  if (!probe.ok && probe.reachable && !hubUserPath(endpoint.baseUrl)) {
    // Perhaps a JupyterHub's address: its API says where the token owner's server is.
    const hub = await askHub(endpoint.baseUrl, token, options);
    if (hub.kind === 'refused') throw new UserError(`Could not connect: ${hub.problem}`);
    if (hub.kind === 'user') {
      const server = hub.ready.get('');
      if (!server) {
        throw new UserError(
          `Could not connect: ${hub.name || 'your'} server on the JupyterHub at ${hub.hubUrl} is not running. Start it on ${new URL('hub/home', hub.hubUrl).href}, then connect again.`,
        );
      }
      endpoint = { baseUrl: server, token };
      probe = await probeServer(endpoint, options);
    }
  }
  if (!probe.ok) throw new UserError(`Could not connect: ${probe.problem}`);
  return { ...endpoint, id: serverId(endpoint.baseUrl), label: serverLabel(endpoint.baseUrl), specs: probe.specs };
}

export function serverLabel(baseUrl: string): string {
  const url = new URL(baseUrl);
  return url.host + (url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''));
}

export function serverId(baseUrl: string): string {
  return `remote-${Buffer.from(baseUrl).toString('base64url').slice(-24)}`;
}

export interface ServerContents {
  readonly specs: KernelSpecInfo[];
  readonly defaultSpec: string | undefined;
  readonly kernels: KernelModel[];
}

/** A server's kernel specs and running kernels; a UserError that says why when it does not answer. */
export async function readServer(lib: JupyterLib, endpoint: JupyterEndpoint): Promise<ServerContents> {
  const settings = serverSettings(lib, endpoint);
  try {
    const [specs, kernels] = await Promise.all([lib.KernelSpecAPI.getSpecs(settings), lib.KernelAPI.listRunning(settings)]);
    return {
      specs: Object.values(specs.kernelspecs)
        .filter((s): s is NonNullable<typeof s> => !!s)
        .map((s) => ({ name: s.name, displayName: s.display_name, language: s.language })),
      defaultSpec: specs.default,
      kernels,
    };
  } catch (error) {
    throw await explainServerError(error, endpoint);
  }
}
