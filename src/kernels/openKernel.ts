import { randomUUID } from 'node:crypto';
import * as nodePath from 'node:path';
import { serverSettings, type JupyterEndpoint } from './jupyterEndpoint';
import type { JupyterLib, KernelConnection } from './jupyterLib';
import type { KernelBinding } from './kernelBindings';
import { explainServerError } from './serverErrors';

export interface OpenKernelRequest {
  readonly serverId: string;
  readonly spec: string;
  /** The notebook's binding from before (a reload): its kernel is reused while the server still has it. */
  readonly previous?: KernelBinding;
  /** The folder a new kernel starts in, relative to the server's root (local servers only). */
  readonly path?: string;
}

export interface OpenedKernel {
  readonly binding: KernelBinding;
  readonly connection: KernelConnection;
  /** True when it is the kernel of `previous` (a reload), false when a new kernel was started. */
  readonly reconnected: boolean;
}

/**
 * The kernel of a notebook on a server: the one it was bound to, if that server still has it
 * (same client id, so the server replays what it buffered while we were away), else a new
 * kernel of the spec. A refused token or a stopped JupyterHub server is a UserError that says so.
 */
export async function openKernel(lib: JupyterLib, endpoint: JupyterEndpoint, request: OpenKernelRequest): Promise<OpenedKernel> {
  const settings = serverSettings(lib, endpoint);
  const { previous } = request;
  let binding: KernelBinding | undefined;
  if (previous && previous.serverId === request.serverId && previous.spec === request.spec) {
    const model = await lib.KernelAPI.getKernelModel(previous.kernelId, settings).catch(() => undefined);
    if (model) binding = previous;
  }
  const reconnected = binding !== undefined;
  if (!binding) {
    try {
      const model = await lib.KernelAPI.startNew({ name: request.spec, ...(request.path !== undefined ? { path: request.path } : {}) }, settings);
      binding = { serverId: request.serverId, spec: request.spec, kernelId: model.id, clientId: randomUUID() };
    } catch (error) {
      throw await explainServerError(error, endpoint, `Could not start a ${request.spec} kernel`);
    }
  }
  const connection = new lib.KernelConnection({ model: { id: binding.kernelId, name: request.spec }, serverSettings: settings, clientId: binding.clientId });
  return { binding, connection, reconnected };
}

/**
 * A local kernel's folder as our local server wants it: relative to the file system root (its
 * root_dir), with `/` separators; `path` is node:path's posix or win32 flavour.
 */
export function kernelFolder(folder: string, path: Pick<typeof nodePath, 'parse' | 'relative' | 'isAbsolute' | 'sep'> = nodePath): string | undefined {
  const root = path.parse(folder).root;
  const rel = path.relative(root, folder);
  return path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
}
