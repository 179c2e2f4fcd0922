// Entry of dist/lazy/jupyter.js: @jupyterlab/services (and ws) in their own bundle, required
// when a kernel is first needed so activation never pays for it (docs/architecture.md).
// Deep imports keep the bundle to the kernel parts; the package root also pulls in contents,
// terminals and collaborative documents, which we never use.
export { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
export * as KernelAPI from '@jupyterlab/services/lib/kernel/restapi';
export * as KernelSpecAPI from '@jupyterlab/services/lib/kernelspec/restapi';
export { ServerConnection } from '@jupyterlab/services/lib/serverconnection';
export { default as WebSocket } from 'ws';
