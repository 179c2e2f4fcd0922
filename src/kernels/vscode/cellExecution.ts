import { basename } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../commandIds';
import type { Logger } from '../../common/logger';
import { execute, type Execution } from '../execution';
import type { ExecutionQueue } from '../executionQueue';
import type { KernelBindings, RunningCell } from '../kernelBindings';
import type { KernelSpecInfo } from '../serverConnect';
import { notifyIfFinishedWhileAway } from './finishedWhileAwayNotifier';
import type { LiveKernel, LiveKernels } from './liveKernels';
import { toNotebookOutputs } from './notebookOutputs';

/**
 * Cell execution: runs the cells a controller is given, in the notebook's queue, on its kernel,
 * with live outputs; records the running cell so a reload can follow it (`reattach`).
 */
export class CellExecutions {
  constructor(
    private readonly log: Logger,
    private readonly kernels: LiveKernels,
    private readonly bindings: KernelBindings,
    private readonly queue: ExecutionQueue,
  ) {}

  /** A controller's executeHandler. */
  run(cells: readonly vscode.NotebookCell[], notebook: vscode.NotebookDocument, controller: vscode.NotebookController, serverId: string, spec: KernelSpecInfo): Promise<void> {
    return this.queue.enqueue(notebook.uri.toString(), () => this.runCells(cells, notebook, controller, serverId, spec));
  }

  private async runCells(cells: readonly vscode.NotebookCell[], notebook: vscode.NotebookDocument, controller: vscode.NotebookController, serverId: string, spec: KernelSpecInfo): Promise<void> {
    // Every cell shows as queued at once; after a failure the rest end unrun, as in Jupyter.
    const executions = cells.map((cell) => ({ cell, run: controller.createNotebookCellExecution(cell) }));
    let live: LiveKernel;
    try {
      live = await this.kernels.kernelFor(notebook, serverId, spec);
    } catch (error) {
      const first = executions[0];
      if (first) {
        first.run.start(Date.now());
        await first.run.replaceOutput(errorOutput('Kernel not started', error instanceof Error ? error.message : String(error)));
        first.run.end(false, Date.now());
      }
      for (const rest of executions.slice(1)) rest.run.end(undefined);
      throw error;
    }
    let failed = false;
    for (const { cell, run } of executions) {
      if (failed || run.token.isCancellationRequested) {
        run.end(undefined);
        continue;
      }
      failed = !(await this.runCell(live, cell, run));
    }
    this.kernels.inspectSoon(live);
  }

  private async runCell(live: LiveKernel, cell: vscode.NotebookCell, run: vscode.NotebookCellExecution): Promise<boolean> {
    run.start(Date.now());
    await run.clearOutput();
    const code = cell.document.getText();
    if (code.trim() === '') {
      run.end(true, Date.now());
      return true;
    }
    const execution = execute(live.connection, code, {
      onInput: (prompt, password) =>
        Promise.resolve(vscode.window.showInputBox({ prompt: prompt || 'Input requested by the kernel', password, ignoreFocusOut: true })),
      whyDisconnected: live.whyDisconnected,
    });
    await this.bindings.setRunning(live.notebook.uri.toString(), { cellIndex: cell.index, msgId: execution.msgId, kernelId: live.binding.kernelId, startedAt: execution.startedAt });
    return this.follow(execution, run, [], live, cell);
  }

  /**
   * After a reload (the notebook got this controller again): shows the cell that still runs
   * as running, with the outputs that arrive from now on.
   */
  async reattach(notebook: vscode.NotebookDocument, controller: vscode.NotebookController, serverId: string, spec: KernelSpecInfo): Promise<void> {
    const running = this.bindings.toReattach(notebook.uri.toString(), serverId, spec.name);
    if (!running) return;
    try {
      const live = await this.kernels.kernelFor(notebook, serverId, spec);
      await this.followRunning(live, controller, running);
    } catch (error) {
      this.log.warn(`Jupyter: could not reattach to the running cell of ${basename(notebook.uri.path)}: ${String(error)}`);
    }
  }

  private async followRunning(live: LiveKernel, controller: vscode.NotebookController, running: RunningCell): Promise<void> {
    const cell = live.notebook.cellAt(running.cellIndex);
    if (!cell) return;
    this.log.info(`Jupyter: cell ${running.cellIndex + 1} of ${basename(live.notebook.uri.path)} is still running; following it`);
    await this.queue.enqueue(live.notebook.uri.toString(), async () => {
      const execution = execute(live.connection, '', { attachTo: running.msgId, whyDisconnected: live.whyDisconnected });
      const cellExecution = controller.createNotebookCellExecution(cell);
      cellExecution.start(running.startedAt);
      const before = [...cell.outputs];
      // The kernel may have finished while the window was away: then no idle status will come.
      const idleCheck = setInterval(() => {
        if (execution.status === 'running' && live.connection.status === 'idle' && Date.now() - execution.startedAt > 3_000) execution.markEnded('ok');
      }, 1_000);
      try {
        await this.follow(execution, cellExecution, before, live, cell);
      } finally {
        clearInterval(idleCheck);
      }
    });
  }

  /** Renders outputs as they arrive (at most every 50 ms), then ends the cell with its outcome. */
  private async follow(
    execution: Execution,
    run: vscode.NotebookCellExecution,
    before: readonly vscode.NotebookCellOutput[],
    live: LiveKernel,
    cell: vscode.NotebookCell,
  ): Promise<boolean> {
    let rendered = -1;
    let rendering: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const render = async (): Promise<void> => {
      while (rendered !== execution.outputs.version) {
        rendered = execution.outputs.version;
        await run.replaceOutput([...before, ...toNotebookOutputs(execution.outputs.outputs)]);
      }
    };
    const schedule = (): void => {
      timer ??= setTimeout(() => {
        timer = undefined;
        rendering = (rendering ?? Promise.resolve()).then(render, render);
      }, 50);
    };
    const subscription = execution.onChange(schedule);
    const status = await execution.done;
    subscription.dispose();
    clearTimeout(timer);
    await rendering;
    await render();
    if (execution.outputs.executionCount !== null) run.executionOrder = execution.outputs.executionCount;
    if (status === 'died' || status === 'lost') {
      await run.appendOutput(errorOutput(status === 'died' ? 'Kernel died' : 'Connection lost', execution.problem ?? ''));
      if (status === 'died') void this.offerRestart(live);
      // A connection that is not coming back is closed: the next run connects afresh.
      if (status === 'lost' && live.connection.connectionStatus !== 'connected') this.kernels.release(live.notebook);
    }
    run.end(status === 'ok', execution.endedAt ?? Date.now());
    await this.bindings.clearRunning(live.notebook.uri.toString());
    notifyIfFinishedWhileAway(execution, cell);
    return status === 'ok';
  }

  private async offerRestart(live: LiveKernel): Promise<void> {
    // The server restarts a dead kernel itself; when it could not, the connection is dead too.
    const restarted = !live.connection.isDisposed && live.connection.status !== 'dead';
    const choice = await vscode.window.showErrorMessage(
      `The kernel of ${basename(live.notebook.uri.path)} died while a cell ran (killed, or out of memory).` +
        (restarted ? ' The server restarted it with an empty namespace.' : ' Restart it to run cells again.'),
      'Restart Kernel',
      'Show Log',
    );
    if (choice === 'Show Log') await vscode.commands.executeCommand(COMMANDS.showLog);
    if (choice === 'Restart Kernel') {
      if (restarted) await live.connection.restart();
      else this.kernels.release(live.notebook); // the next run connects afresh (a new kernel when the old one is gone)
    }
  }
}

function errorOutput(name: string, message: string): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name, message })], { outputType: 'error' });
}
