import type { KernelConnection } from '../../kernels/jupyterLib';

// When a cell has run in a kernel, from any client (the notebook, the agent, another frontend):
// the kernel broadcasts execute_input on IOPub for every non-silent request, and goes idle when
// it is done. Our own silent data requests publish no execute_input, so they never trigger this.

export interface Subscription {
  dispose(): void;
}

/** Calls `ran` each time the kernel goes idle after running at least one cell. */
export function onCellsRan(kernel: KernelConnection, ran: () => void): Subscription {
  let pending = false;
  const onIopub = (_: unknown, message: { header: { msg_type: string }; content: unknown }): void => {
    if (message.header.msg_type === 'execute_input') pending = true;
    else if (pending && message.header.msg_type === 'status' && (message.content as { execution_state?: string }).execution_state === 'idle') {
      pending = false;
      ran();
    }
  };
  kernel.iopubMessage.connect(onIopub);
  return { dispose: () => kernel.iopubMessage.disconnect(onIopub) };
}
