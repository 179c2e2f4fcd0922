import { isUserError, UserError } from '../common/errors';
import { probeServer, type JupyterEndpoint } from './jupyterEndpoint';

/**
 * An error from a request to a Jupyter server (@jupyterlab/services' ResponseError or
 * NetworkError) as a UserError that says what is wrong. A server that no longer takes the
 * token answers a POST with "'_xsrf' argument missing" (it treats the request as a browser's),
 * a JupyterHub whose user server stopped with a redirect: the probe says which in words.
 */
export async function explainServerError(error: unknown, endpoint: JupyterEndpoint, what?: string): Promise<UserError> {
  const say = (text: string): string => (what ? `${what}: ${text}` : text);
  if (isUserError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { response?: { status?: unknown } }).response?.status;
  // NetworkError is a TypeError (fetch failed); matched by shape, as the library is a separate bundle.
  const network = error instanceof Error && error.name === 'TypeError' && status === undefined;
  if (network || status === 401 || status === 403 || status === 404 || status === 424 || status === 503 || (typeof status === 'number' && status >= 300 && status < 400)) {
    const probe = await probeServer(endpoint, { timeoutMs: 5_000 });
    if (!probe.ok) return new UserError(say(probe.problem), { cause: error });
  }
  return new UserError(say(message), { cause: error });
}
