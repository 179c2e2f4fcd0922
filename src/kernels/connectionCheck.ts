import type { ConnectionProblem } from './execution';
import { probeServer, serverSettings, type JupyterEndpoint } from './jupyterEndpoint';
import type { JupyterLib } from './jupyterLib';

/**
 * Why a kernel's connection cannot come back, for a run that waits on it (ExecuteOptions.
 * whyDisconnected): the server refuses the token or its JupyterHub server stopped, the kernel
 * is gone or dead; or, transient, the server does not answer. Undefined: it may come back.
 */
export function whyDisconnected(lib: JupyterLib, endpoint: JupyterEndpoint, kernelId: string): () => Promise<ConnectionProblem | undefined> {
  return async () => {
    const probe = await probeServer(endpoint, { timeoutMs: 5_000 });
    if (!probe.ok) return { problem: `The connection to the kernel was lost: ${probe.problem}`, transient: !probe.reachable };
    let model;
    try {
      model = await lib.KernelAPI.getKernelModel(kernelId, serverSettings(lib, endpoint));
    } catch {
      return undefined;
    }
    if (!model) return { problem: 'The kernel is gone from the server (shut down, or stopped while nobody was connected to it). Run the cell again to start a new one.', transient: false };
    if (model.execution_state === 'dead') return { problem: 'The kernel died and the server could not restart it. Run the cell again to start a new one.', transient: false };
    return undefined;
  };
}
