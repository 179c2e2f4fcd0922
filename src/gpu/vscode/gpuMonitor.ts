import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { describeProcess, ownerOf, queryGpuProcesses, type GpuProcess } from '../gpuProcesses';
import { GpuHistory } from '../gpuHistory';
import { GpuPanel } from './gpuPanel';
import { gpuRowDescription, jobChildren, jobGroupNodes, jobTreeItem, type JobGpuNode, type JobGpuSource } from './jobGpuNodes';
import { formatGiB, needsAttention, statusText, type GpuSample } from '../gpuSample';
import { defaultGpuSamplers, GpuSourceChoice, type GpuSourceState, type RemoteGpuSource } from '../gpuSourceChoice';
import type { GpuReading } from '../gpuStatusTool';
import { COMMANDS, CONTEXT_KEYS, SETTINGS, STATUS_BAR_ITEMS } from '../../commandIds';

const FOCUSED_MS = 2000;
const BACKGROUND_MS = 10_000;
/** Processes are queried on demand (tooltip, view, agent), at most this often. */
const PROCESSES_MS = 10_000;

/** How long gpu_status waits for the sampler's first answer. */
const FIRST_SAMPLE_WAIT_MS = 10_000;

type GpuNode = { readonly kind: 'gpu'; readonly sample: GpuSample } | { readonly kind: 'process'; readonly process: GpuProcess; readonly owner: string | undefined } | JobGpuNode;

export type { RemoteGpuSource } from '../gpuSourceChoice';

/** Which of this window's kernels runs as which pid on this machine: "train.ipynb". */
export type ProcessOwners = () => ReadonlyMap<number, string>;

/** The GPUs tree view, drawn by the provider given (the view itself is made at activation). */
export type GpuTreeView = <T>(provider: vscode.TreeDataProvider<T>) => vscode.TreeView<T>;

/**
 * The GPU status bar item and the GPUs tree, fed by the source GpuSourceChoice picks (one
 * sampler per window). Sampling slows when the window is in the background and stops when
 * neither the item, the view nor the charts show it.
 */
export class GpuMonitor implements vscode.TreeDataProvider<GpuNode>, vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(STATUS_BAR_ITEMS.gpu, vscode.StatusBarAlignment.Right, 90);
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly source: GpuSourceChoice;
  private samples: GpuSample[] = [];
  private sampledAt: number | undefined;
  private viewVisible = false;
  private processes: readonly GpuProcess[] = [];
  private processesAt = 0;
  private processesPending: Promise<void> | undefined;
  private readonly history = new GpuHistory();
  private readonly view: vscode.TreeView<GpuNode>;
  /** The active notebook's remote kernel, whose machine's GPUs are shown. */
  private remote: RemoteGpuSource | undefined;
  /** The GPUs view's welcome says "nvidia-smi not found" (with its setting) while this is true. */
  private toolMissing = false;
  /** The watched Slurm jobs' GPUs (once the jobs feature is loaded), a group per job after this machine's GPUs. */
  private jobs: JobGpuSource | undefined;
  private readonly shown = new vscode.EventEmitter<void>();
  /** The GPUs view became visible (the GPU feature loads the jobs feature then, not at window start). */
  readonly onDidShow = this.shown.event;
  /** Settles at the sampler's first answer (samples, none, or a failure): an early gpu_status waits for it. */
  private firstAnswer: () => void = () => undefined;
  private readonly answered = new Promise<void>((resolve) => (this.firstAnswer = resolve));
  readonly panel: GpuPanel;

  constructor(
    private readonly log: Logger,
    extensionUri: vscode.Uri,
    private readonly owners: ProcessOwners,
    treeView: GpuTreeView,
  ) {
    this.panel = new GpuPanel(extensionUri, () => this.update(), log);
    const config = () => vscode.workspace.getConfiguration('mlEngineer');
    const samplers = defaultGpuSamplers(log, () => ({
      nvidiaSmi: config().get<string>('gpu.nvidiaSmiPath')?.trim() || 'nvidia-smi',
      rocmSmi: config().get<string>('gpu.rocmSmiPath')?.trim() || 'rocm-smi',
    }));
    this.source = new GpuSourceChoice(
      samplers,
      {
        samples: (samples, state) => {
          this.firstAnswer();
          if (state.kind === 'remote') this.view.description = `on ${state.label}`;
          this.setEmptyState(false, undefined);
          this.show(samples, state);
        },
        switched: () => {
          this.history.clear();
          this.view.description = undefined;
        },
        unavailable: (problem) => {
          this.firstAnswer();
          this.samples = [];
          this.item.hide();
          // No tool on this machine: the welcome content says so and links the setting (VS Code hides
          // welcome content while a view has a message, so none is set; the log names what was tried).
          // A remote kernel's machine has no setting here: only the message.
          if (this.remote) this.setEmptyState(false, `No GPUs on ${this.remote.label}: ${problem}`);
          else this.setEmptyState(true, undefined);
          this.changed.fire(undefined);
        },
        failing: (message, retryInMs) => {
          this.firstAnswer();
          const text = `GPU sampling failed: ${message}. Retrying in ${Math.round(retryInMs / 1000)} s.`;
          this.item.tooltip = text;
          this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
          if (this.samples.length === 0) this.setEmptyState(false, text);
        },
      },
      log,
      vscode.window.state.focused ? FOCUSED_MS : BACKGROUND_MS,
    );
    this.item.name = 'ML Engineer: GPUs';
    this.item.command = COMMANDS.showGpuCharts;
    const view = treeView(this);
    this.view = view;
    // Loaded when the view was already open, perhaps: its visibility event has passed.
    this.viewVisible = view.visible;
    this.disposables.push(
      this.item,
      this.changed,
      this.shown,
      view,
      view.onDidChangeVisibility((e) => {
        this.viewVisible = e.visible;
        this.jobs?.setWanted(e.visible, !vscode.window.state.focused);
        this.update();
        if (e.visible) this.shown.fire();
      }),
      vscode.window.onDidChangeWindowState((s) => {
        this.source.setInterval(s.focused ? FOCUSED_MS : BACKGROUND_MS);
        this.jobs?.setWanted(this.viewVisible, !s.focused);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SETTINGS.gpu)) this.source.reset();
      }),
    );
    this.update();
  }

  /** What the agent's gpu_status tool reads. */
  async reading(): Promise<GpuReading> {
    // Asked right after the window opened (the first sample is still on its way): wait for it, a
    // few seconds at most, rather than answer "no sample yet". Seen in CI as lmTools.e2e's answer.
    if (this.samples.length === 0 && !this.problem) await Promise.race([this.answered, new Promise((resolve) => setTimeout(resolve, FIRST_SAMPLE_WAIT_MS))]);
    return { samples: this.samples, ...(this.problem ? { problem: this.problem } : {}), ...(this.sampledAt ? { at: this.sampledAt } : {}) };
  }

  private postToPanel(): void {
    void this.refreshProcesses();
    this.panel.post({ type: 'history', gpus: this.history.series(), processes: this.describeProcesses(), ...(this.problem ? { problem: this.problem } : {}) });
  }

  /** The charts panel; sampling runs while it is open even with the status bar item off. */
  showCharts(): void {
    this.panel.show();
    this.postToPanel();
  }

  /** The processes on the GPUs, named by our kernels where they are ours (queried now if stale). */
  async processLines(): Promise<string[]> {
    await this.refreshProcesses(true);
    return this.describeProcesses();
  }

  /** `GPU 0: 12.1 GB: train.ipynb (pid …)` per process last read, for the agent and the charts. */
  private describeProcesses(): string[] {
    const owners = this.owners();
    return this.processes.map((p) => `GPU ${this.samples.find((g) => g.uuid === p.gpuUuid)?.index ?? '?'}: ${describeProcess(p, ownerOf(p.pid, owners))}`);
  }

  private refreshProcesses(force = false): Promise<void> {
    // Processes come from nvidia-smi; rocm-smi's --showpids has no per-GPU memory to match.
    const source = this.source.state;
    if (this.samples.length === 0 || source.kind !== 'local' || source.vendor !== 'nvidia') return Promise.resolve();
    if (!force && Date.now() - this.processesAt < PROCESSES_MS) return Promise.resolve();
    this.processesPending ??= (async () => {
      const command = vscode.workspace.getConfiguration('mlEngineer').get<string>('gpu.nvidiaSmiPath')?.trim() || 'nvidia-smi';
      const result = await queryGpuProcesses(command);
      this.processesAt = Date.now();
      if (result.ok) {
        const changed = JSON.stringify(result.processes) !== JSON.stringify(this.processes);
        this.processes = result.processes;
        if (changed && this.viewVisible) this.changed.fire(undefined);
      } else this.log.debug(`GPU processes not read: ${result.problem}`);
    })().finally(() => (this.processesPending = undefined));
    return this.processesPending;
  }

  private wanted(): boolean {
    return vscode.workspace.getConfiguration('mlEngineer').get<boolean>('gpu.statusBar', true) || this.viewVisible || this.panel.isOpen;
  }

  private update(): void {
    const wanted = this.wanted();
    this.source.setWanted(wanted);
    if (!wanted) this.item.hide();
  }

  /**
   * Shows the GPUs of the machine the active notebook's kernel runs on (sampled inside that
   * kernel), or this machine's again when `source` is undefined.
   */
  setRemote(source: RemoteGpuSource | undefined): void {
    this.remote = source;
    this.source.setRemote(source);
  }

  get visible(): boolean {
    return this.viewVisible;
  }

  /** The jobs feature loaded: its watched jobs' GPUs join the view, sampled while the view shows. */
  setJobs(jobs: JobGpuSource): vscode.Disposable {
    this.jobs = jobs;
    jobs.setWanted(this.viewVisible, !vscode.window.state.focused);
    this.changed.fire(undefined);
    return jobs.onDidChange(() => this.changed.fire(undefined));
  }

  /** What the GPUs view shows while it lists no GPU: the welcome content (by context key) and a message. */
  private setEmptyState(toolMissing: boolean, message: string | undefined): void {
    this.view.message = message;
    if (toolMissing === this.toolMissing) return;
    this.toolMissing = toolMissing;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.gpuToolMissing, toolMissing);
  }

  /** Why no GPUs are shown, when none are. */
  private get problem(): string | undefined {
    const source = this.source.state;
    return source.kind === 'none' ? source.problem : undefined;
  }

  private show(samples: GpuSample[], source: GpuSourceState): void {
    this.samples = samples;
    this.sampledAt = Date.now();
    this.history.add(samples, this.sampledAt);
    if (this.panel.isOpen) this.postToPanel();
    if (vscode.workspace.getConfiguration('mlEngineer').get<boolean>('gpu.statusBar', true)) {
      this.item.text = `$(pulse) ${source.kind === 'remote' ? `${source.label}: ` : ''}${statusText(samples)}`;
      this.item.backgroundColor = needsAttention(samples) ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      this.item.tooltip = tooltip(samples, this.processes, this.owners());
      if (vscode.window.state.focused) void this.refreshProcesses();
      this.item.accessibilityInformation = { label: `GPUs: ${statusText(samples)}` };
      this.item.show();
    }
    if (this.viewVisible) this.changed.fire(undefined);
  }

  async getChildren(node?: GpuNode): Promise<GpuNode[]> {
    if (!node) {
      void this.refreshProcesses();
      return [...this.samples.map((sample): GpuNode => ({ kind: 'gpu', sample })), ...jobGroupNodes(this.jobs)];
    }
    if (node.kind === 'job' || node.kind === 'jobGpu' || node.kind === 'jobLine') return jobChildren(node);
    if (node.kind !== 'gpu') return [];
    await this.refreshProcesses();
    const owners = this.owners();
    return this.processes
      .filter((p) => p.gpuUuid === node.sample.uuid || (this.samples.length === 1 && node.sample.uuid === null))
      .map((process) => ({ kind: 'process', process, owner: ownerOf(process.pid, owners) }));
  }

  getTreeItem(node: GpuNode): vscode.TreeItem {
    if (node.kind === 'job' || node.kind === 'jobGpu' || node.kind === 'jobLine') return jobTreeItem(node);
    if (node.kind === 'process') {
      const p = node.process;
      const item = new vscode.TreeItem(node.owner ?? p.name.split(/[\\/]/).pop() ?? p.name);
      item.description = `${p.usedMemoryMiB === null ? '' : `${formatGiB(p.usedMemoryMiB)} GB · `}pid ${p.pid}`;
      item.tooltip = describeProcess(p, node.owner);
      item.iconPath = new vscode.ThemeIcon(node.owner ? 'notebook' : 'server-process');
      return item;
    }
    const g = node.sample;
    const hasProcesses = this.processes.some((p) => p.gpuUuid === g.uuid) || (this.samples.length === 1 && this.processes.length > 0);
    const item = new vscode.TreeItem(`${g.index}: ${g.name}`, hasProcesses ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.description = gpuRowDescription(g);
    item.iconPath = new vscode.ThemeIcon('circuit-board');
    item.tooltip = tooltip([g], this.processes.filter((p) => p.gpuUuid === g.uuid), this.owners());
    item.id = `gpu:${g.uuid ?? g.index}`;
    return item;
  }

  dispose(): void {
    this.source.dispose();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function tooltip(samples: readonly GpuSample[], processes: readonly GpuProcess[] = [], owners: ReadonlyMap<number, string> = new Map()): vscode.MarkdownString {
  const rows = samples.map(
    (g) => `| ${g.index} | ${g.name} | ${g.utilizationGpu ?? '–'}% | ${formatGiB(g.memoryUsedMiB)}/${formatGiB(g.memoryTotalMiB)} GB | ${g.temperatureC ?? '–'} °C | ${g.powerDrawW ?? '–'}/${g.powerLimitW ?? '–'} W |`,
  );
  const lines = ['| GPU | Name | Util | Memory | Temp | Power |', '|---|---|---|---|---|---|', ...rows];
  if (processes.length > 0) {
    lines.push('', '**Processes**', '');
    for (const p of processes) {
      const gpu = samples.find((g) => g.uuid === p.gpuUuid)?.index ?? '?';
      lines.push(`- GPU ${gpu}: ${describeProcess(p, ownerOf(p.pid, owners)).replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`)}`);
    }
  }
  return new vscode.MarkdownString(lines.join('\n'));
}
