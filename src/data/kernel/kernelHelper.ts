import { createHash } from 'node:crypto';
import { UserError } from '../../common/errors';
import type { KernelConnection } from '../../kernels/jupyterLib';
import { evaluateSilently } from '../../kernels/kernelInspection';
import { KERNEL_HELPER_SOURCE } from './kernelHelperSource';

// Talks to the helper module in the kernel (kernelHelperSource.ts). Every request is one silent
// execute_request (silent, store_history false, code '') whose user expression calls the module
// with the user's globals: the kernel's history, execution count and namespace are left alone.
// The module lives in sys.modules under a name that changes with its source, so an updated
// extension installs its own; a restarted kernel answers "not installed" and gets it again.

/** sys.modules key of the helper: versioned by the source's hash. */
export const HELPER_MODULE = `_ml_engineer_data_${createHash('sha256').update(KERNEL_HELPER_SOURCE).digest('hex').slice(0, 12)}`;

const NOT_INSTALLED = '0';

export type HelperRequest = { readonly op: string } & Readonly<Record<string, unknown>>;

/** Why a request failed in words the user can act on (a deleted variable, a type change, a bad filter). */
export class KernelDataProblem extends UserError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function callExpression(request: HelperRequest, install: boolean): string {
  const payload = JSON.stringify(JSON.stringify(request));
  const name = JSON.stringify(HELPER_MODULE);
  if (!install) return `(lambda m: m.handle(globals(), ${payload}) if m is not None else ${NOT_INSTALLED})(__import__("sys").modules.get(${name}))`;
  // Built as a module object, registered only once its source ran without error.
  const build = `(lambda sys, m: sys.modules.get(${name}) or (exec(${JSON.stringify(KERNEL_HELPER_SOURCE)}, m.__dict__), sys.modules.setdefault(${name}, m))[1])(__import__("sys"), __import__("types").ModuleType(${name}))`;
  return `${build}.handle(globals(), ${payload})`;
}

/**
 * One request to the helper; installs it first when the kernel does not have it. Rejects with a
 * KernelDataProblem for what the user can fix, an AbortError when `signal` aborts, an Error otherwise.
 */
export async function callHelper<T>(kernel: KernelConnection, request: HelperRequest, signal: AbortSignal, timeoutMs: number): Promise<T> {
  let text = await evaluate(kernel, callExpression(request, false), signal, timeoutMs);
  if (text === NOT_INSTALLED) text = await evaluate(kernel, callExpression(request, true), signal, timeoutMs);
  let reply: { ok?: T; problem?: string; code?: string; error?: string };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    throw new Error(`the kernel's data helper answered with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (reply.problem !== undefined) throw new KernelDataProblem(reply.problem, reply.code ?? 'problem');
  if (reply.error !== undefined) throw new Error(`the kernel's data helper failed: ${reply.error}`);
  if (reply.ok === undefined) throw new Error("the kernel's data helper gave no answer");
  return reply.ok;
}

async function evaluate(kernel: KernelConnection, expression: string, signal: AbortSignal, timeoutMs: number): Promise<string> {
  if (kernel.isDisposed) throw new UserError('The connection to the kernel is closed (was the notebook closed?).');
  return evaluateSilently(kernel, expression, timeoutMs, 'data request', signal);
}

/** Removes the helper module and every cached view from the kernel (nothing of ours stays). */
export async function removeKernelHelper(kernel: KernelConnection, signal: AbortSignal, timeoutMs = 10_000): Promise<void> {
  const text = await evaluate(kernel, callExpression({ op: 'uninstall' }, false), signal, timeoutMs);
  if (text !== NOT_INSTALLED) JSON.parse(text);
}
