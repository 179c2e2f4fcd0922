import * as z from 'zod/mini';
import { defineTool, ToolInputError, type Tool } from '../agent/tools/tool';
import { execute, type ConnectionProblem, type Execution } from './execution';
import type { KernelConnection } from './jupyterLib';
import { describeVariable, inspectKernel } from './kernelInspection';
import { imagesAfter, START, summarizeOutputs, type ReadCursor } from './summarizeOutputs';
import type { ToolImage } from '../agent/tools/tool';

/** The kernel of the notebook the user is working in, as the editor adapter finds it. */
export interface KernelTarget {
  /** e.g. `train.ipynb — Python 3 on local`. */
  readonly label: string;
  readonly connection: KernelConnection;
  interrupt(): Promise<void>;
  restart(): Promise<void>;
  /** Told when an agent execution ends (the Kernels view re-reads the variables). */
  onExecutionEnded?(): void;
  /** Why the connection cannot come back, so a run ends with that instead of waiting (ExecuteOptions). */
  whyDisconnected?(): Promise<ConnectionProblem | undefined>;
}

export interface KernelTargets {
  /** Throws an Error whose message says what to do (open a notebook, pick an ML Engineer kernel). */
  active(): Promise<KernelTarget>;
}

/** Seconds a tool call waits before it returns with what has arrived. */
export const RUN_WAIT_DEFAULT_S = 30;
export const WAIT_MAX_S = 300;
const OUTPUT_BUDGET = 6_000;

interface Tracked {
  readonly execution: Execution;
  readonly target: string;
  cursor: ReadCursor;
}

/** The executions the agent started in this window, by the id it was given. */
export class AgentExecutions {
  private readonly byId = new Map<string, Tracked>();
  private next = 1;

  start(target: KernelTarget, code: string): { id: string; execution: Execution } {
    const id = `exec-${this.next++}`;
    const why = target.whyDisconnected?.bind(target);
    const execution = execute(target.connection, code, why ? { whyDisconnected: why } : {});
    void execution.done.then(() => target.onExecutionEnded?.());
    this.byId.set(id, { execution, target: target.label, cursor: START });
    // Keep the newest 50: old ones are only needed while the model may still ask about them.
    if (this.byId.size > 50) this.byId.delete(this.byId.keys().next().value!);
    return { id, execution };
  }

  get(id: string): Tracked {
    const tracked = this.byId.get(id);
    if (!tracked) {
      const known = [...this.byId.keys()].join(', ');
      throw new ToolInputError(`No execution ${id} in this window${known ? ` (known: ${known})` : ''}.`);
    }
    return tracked;
  }

  running(): string[] {
    return [...this.byId].filter(([, t]) => t.execution.status === 'running').map(([id]) => id);
  }

  /** What arrived since the last report (images included, for the model to see), and where it stands. */
  report(id: string): { text: string; images: ToolImage[] } {
    const tracked = this.get(id);
    const { execution } = tracked;
    const images = imagesAfter(execution.outputs.outputs, tracked.cursor);
    const { text, cursor } = summarizeOutputs(execution.outputs.outputs, OUTPUT_BUDGET, tracked.cursor);
    tracked.cursor = cursor;
    const seconds = Math.round(execution.durationMs / 1000);
    const state =
      execution.status === 'running'
        ? `still running after ${seconds} s. Call wait_for_execution with execution_id "${id}" to wait for more output, or interrupt_kernel to stop it.`
        : `${execution.status} after ${seconds} s${execution.outputs.executionCount !== null ? `, execution count ${execution.outputs.executionCount}` : ''}${execution.problem ? `. ${execution.problem}` : ''}`;
    return {
      text: `execution_id: ${id}\nstatus: ${state}\n${text ? `output${tracked.cursor === START ? '' : ' (new since the last read)'}:\n${text}` : 'no new output'}`,
      images,
    };
  }
}

export interface KernelToolOptions {
  /**
   * The longest one call waits (seconds), WAIT_MAX_S by default. The MCP server sets it under
   * its clients' request timeouts: longer work goes on and is read through wait_for_execution.
   */
  readonly waitBudgetSeconds?: number;
}

export function kernelTools(targets: KernelTargets, executions: AgentExecutions, options: KernelToolOptions = {}): Tool[] {
  const maxWait = Math.min(WAIT_MAX_S, options.waitBudgetSeconds ?? WAIT_MAX_S);
  const runDefault = Math.min(RUN_WAIT_DEFAULT_S, maxWait);
  const waitDefault = Math.min(60, maxWait);
  const active = async (): Promise<KernelTarget> => {
    try {
      return await targets.active();
    } catch (error) {
      throw new ToolInputError(error instanceof Error ? error.message : String(error));
    }
  };
  const seconds = (value: number | undefined, fallback: number): number => Math.min(maxWait, Math.max(0, value ?? fallback)) * 1000;

  const run = defineTool({
    name: 'run_in_kernel',
    description:
      "Runs Python in the Jupyter kernel of the user's active notebook, where their data, model and variables live, and returns its output " +
      `(text head and tail; up to two new images, such as plots, are shown to you). Waits up to wait_seconds (default ${runDefault}); long work such as training returns early ` +
      'with an execution_id: then call wait_for_execution to follow it. Prefer small, inspectable steps; never re-run expensive training without asking.',
    input: z.object({
      code: z.string().check(z.minLength(1)),
      wait_seconds: z.optional(z.number().check(z.minimum(0), z.maximum(maxWait))),
    }),
    risk: 'execute',
    confirmation: (input) => `Run ${input.code.split('\n').length} line(s) in the notebook's kernel`,
    // "Allow for this chat" covers this exact code again, never other code: code in the kernel can do
    // anything the user can (os.system, their files), as run_command's commands can.
    approvalScope: (input) => Promise.resolve(input.code),
    async run(input, _context, signal) {
      const target = await active();
      const { id, execution } = executions.start(target, input.code);
      await execution.settle(seconds(input.wait_seconds, runDefault), signal);
      const report = executions.report(id);
      return {
        content: `kernel: ${target.label}\n${report.text}`,
        ...(report.images.length > 0 ? { images: report.images } : {}),
        isError: execution.status === 'error' || execution.status === 'died' || execution.status === 'lost',
        summary: `${id}: ${execution.status === 'running' ? 'running' : execution.status}`,
      };
    },
  });

  const wait = defineTool({
    name: 'wait_for_execution',
    description:
      `Waits for an execution started by run_in_kernel, up to wait_seconds (default ${waitDefault}), and returns the output that arrived since the last read and its status. ` +
      'Call it again while it is still running; it never starts anything.',
    input: z.object({
      execution_id: z.string(),
      wait_seconds: z.optional(z.number().check(z.minimum(0), z.maximum(maxWait))),
    }),
    risk: 'read',
    async run(input, _context, signal) {
      const { execution } = executions.get(input.execution_id);
      await execution.settle(seconds(input.wait_seconds, waitDefault), signal);
      const report = executions.report(input.execution_id);
      return {
        content: report.text,
        ...(report.images.length > 0 ? { images: report.images } : {}),
        summary: `${input.execution_id}: ${execution.status}`,
      };
    },
  });

  const interrupt = defineTool({
    name: 'interrupt_kernel',
    description: "Interrupts what the active notebook's kernel is running (KeyboardInterrupt); variables are kept.",
    input: z.object({}),
    risk: 'execute',
    confirmation: () => "Interrupt the notebook's kernel (what it is running stops with KeyboardInterrupt)",
    async run() {
      const target = await active();
      await target.interrupt();
      return { content: `Interrupt sent to ${target.label}.`, summary: 'Interrupted the kernel' };
    },
  });

  const restart = defineTool({
    name: 'restart_kernel',
    description: "Restarts the active notebook's kernel: frees its memory (GPU included) and loses every variable. Ask before using it when work would be lost.",
    input: z.object({}),
    risk: 'execute',
    confirmation: () => "Restart the notebook's kernel (all its variables are lost)",
    async run() {
      const target = await active();
      await target.restart();
      return { content: `${target.label} restarted; its namespace is empty.`, summary: 'Restarted the kernel' };
    },
  });

  const variables = defineTool({
    name: 'kernel_variables',
    description:
      "Lists the variables in the active notebook's kernel: type, shape, dtype, device, size, parameter count for models, values of scalars. " +
      "Read silently: the user's history and execution count are untouched. Use it before writing code that uses their objects.",
    input: z.object({}),
    risk: 'read',
    async run() {
      const target = await active();
      const inspection = await inspectKernel(target.connection).catch((error: unknown) => {
        throw new ToolInputError(`Could not read the variables: ${error instanceof Error ? error.message : String(error)}`);
      });
      const lines = inspection.variables.map((v) => `${v.name}: ${v.type} ${describeVariable(v)}`.trimEnd());
      const more = inspection.total > inspection.variables.length ? `\n(${inspection.total - inspection.variables.length} more not listed)` : '';
      return {
        content: `kernel: ${target.label} (pid ${inspection.pid} on ${inspection.host}, cwd ${inspection.cwd})\n${lines.join('\n') || '(no variables)'}${more}`,
        summary: `${inspection.total} variable(s)`,
      };
    },
  });

  const state = defineTool({
    name: 'kernel_state',
    description: "The active notebook's kernel: its name, server, whether it is idle or busy, and the agent's executions still running.",
    input: z.object({}),
    risk: 'read',
    async run() {
      const target = await active();
      const c = target.connection;
      const running = executions.running();
      return {
        content: `kernel: ${target.label}\nname: ${c.name}\nstatus: ${c.status}\nconnection: ${c.connectionStatus}\nagent executions running: ${running.join(', ') || 'none'}`,
        summary: `Kernel ${c.status}`,
      };
    },
  });

  return [run, wait, interrupt, restart, variables, state];
}
