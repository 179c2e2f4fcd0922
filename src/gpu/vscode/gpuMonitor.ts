import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { describeProcess, ownerOf, queryGpuProcesses, type GpuProcess } from '../gpuProcesses';
import { GpuHistory } from '../gpuHistory';
import { startKernelGpuSampling, type KernelGpuSampling } from '../kernelGpuSampling';
import type { KernelConnection } from '../../kernels/jupyterLib';
import { GpuPanel } from './gpuPanel';
import { formatGiB, needsAttention, statusText, type GpuSample } from '../gpuSample';
import type { GpuReading } from '../gpuStatusTool';
import { NvidiaSmiSampler, type SamplerOptions, type SamplerState } from '../nvidiaSmiSampler';
import { RocmSmiSampler } from '../rocmSmiSampler';
import { COMMANDS, SETTINGS, STATUS_BAR_ITEMS, VIEWS } from '../../commandIds';

const FOCUSED_MS = 2000;
const BACKGROUND_MS = 10_000;
/** Processes are queried on demand (tooltip, view, agent), at most this often. */
const PROCESSES_MS = 10_000;

type GpuNode = { readonly kind: 'gpu'; readonly sample: GpuSample } | { readonly kind: 'process'; readonly process: GpuProcess; readonly owner: string | undefined };

/** The kernel of the active notebook when it runs on another machine: its GPUs are shown instead. */
export interface RemoteGpuSource {
  /** Changes when the kernel does (its id). */
  readonly key: string;
  /** The server's label, until the kernel says its host name. */
  readonly label: string;
  readonly connection: KernelConnection;
}

/** Which of this window's kernels runs as which pid on this machine: "train.ipynb". */
export type ProcessOwners = () => ReadonlyMap<number, string>;

/**
 * The GPU status bar item and the GPUs tree, fed by one sampler per window. Sampling slows
 * when the window is in the background and stops when neither the item nor the view shows it.
 */
export class GpuMonitor implements vscode.TreeDataProvider<GpuNode>, vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(STATUS_BAR_ITEMS.gpu, vscode.StatusBarAlignment.Right, 90);
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private sampler: NvidiaSmiSampler | RocmSmiSampler | undefined;
  /** NVIDIA first; AMD when nvidia-smi is not there. */
  private vendor: 'nvidia' | 'amd' = 'nvidia';
  private nvidiaProblem: string | undefined;
  private samples: GpuSample[] = [];
  private sampledAt: number | undefined;
  private problem: string | undefined;
  private viewVisible = false;
  private processes: readonly GpuProcess[] = [];
  private processesAt = 0;
  private processesPending: Promise<void> | undefined;
  private readonly history = new GpuHistory();
  /** The active notebook's remote kernel, whose machine's GPUs are shown while anything shows GPUs. */
  private remoteSource: RemoteGpuSource | undefined;
  private remote: { key: string; label: string; sampling: KernelGpuSampling } | undefined;
  private readonly view: vscode.TreeView<GpuNode>;
  readonly panel: GpuPanel;

  constructor(
    private readonly log: Logger,
    extensionUri: vscode.Uri,
    private readonly owners: ProcessOwners = () => new Map(),
  ) {
    this.panel = new GpuPanel(extensionUri, () => this.update());
    this.item.name = 'ML Engineer: GPUs';
    this.item.command = COMMANDS.showGpuCharts;
    const view = vscode.window.createTreeView(VIEWS.gpus, { treeDataProvider: this });
    this.view = view;
    this.disposables.push(
      this.item,
      this.changed,
      view,
      view.onDidChangeVisibility((e) => {
        this.viewVisible = e.visible;
        this.update();
      }),
      vscode.window.onDidChangeWindowState((s) => this.sampler?.setInterval(s.focused ? FOCUSED_MS : BACKGROUND_MS)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SETTINGS.gpu)) this.restart();
      }),
    );
    this.update();
  }

  /** What the agent's gpu_status tool reads. */
  reading(): GpuReading {
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
    if (this.samples.length === 0 || this.vendor !== 'nvidia' || this.remote) return Promise.resolve();
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
    if (!this.wanted()) {
      this.sampler?.stop();
      this.sampler = undefined;
      // The remote kernel's sampler stops too (it costs an nvidia-smi run on that machine each interval).
      this.remote?.sampling.dispose();
      this.remote = undefined;
      this.item.hide();
      return;
    }
    if (this.remoteSource) {
      if (!this.remote) this.startRemote(this.remoteSource);
      return; // the remote kernel's sampler feeds the display
    }
    if (!this.sampler && this.problem === undefined) {
      const config = vscode.workspace.getConfiguration('mlEngineer');
      const options: SamplerOptions = {
        command:
          this.vendor === 'nvidia'
            ? config.get<string>('gpu.nvidiaSmiPath')?.trim() || 'nvidia-smi'
            : config.get<string>('gpu.rocmSmiPath')?.trim() || 'rocm-smi',
        intervalMs: vscode.window.state.focused ? FOCUSED_MS : BACKGROUND_MS,
        log: this.log,
        onSnapshot: (samples) => this.show(samples),
        onState: (state) => this.onState(state),
      };
      this.sampler = this.vendor === 'nvidia' ? new NvidiaSmiSampler(options) : new RocmSmiSampler(options);
      this.sampler.start();
    }
  }

  /**
   * Shows the GPUs of the machine the active notebook's kernel runs on (sampled inside that
   * kernel), or this machine's again when `source` is undefined.
   */
  setRemote(source: RemoteGpuSource | undefined): void {
    if (source?.key === this.remoteSource?.key) return;
    this.remote?.sampling.dispose();
    this.remote = undefined;
    this.remoteSource = source;
    this.history.clear();
    this.view.description = undefined;
    if (!source) {
      this.restart();
      return;
    }
    this.sampler?.stop();
    this.sampler = undefined;
    this.problem = undefined;
    this.update();
  }

  private startRemote(source: RemoteGpuSource): void {
    const remote = {
      key: source.key,
      label: source.label,
      sampling: startKernelGpuSampling(source.connection, {
        intervalMs: vscode.window.state.focused ? FOCUSED_MS : BACKGROUND_MS,
        onSamples: (samples, host) => {
          remote.label = host;
          this.view.description = `on ${host}`;
          this.show(samples);
        },
        onProblem: (message, fatal) => {
          this.log.warn(`GPUs on ${remote.label}: ${message}`);
          if (fatal) {
            this.problem = message;
            this.samples = [];
            this.item.hide();
            this.changed.fire(undefined);
          }
        },
      }),
    };
    this.remote = remote;
    this.log.info(`GPUs: showing those of ${source.label}, where the active notebook's kernel runs`);
  }

  private restart(): void {
    this.sampler?.stop();
    this.sampler = undefined;
    this.problem = undefined;
    this.vendor = 'nvidia';
    this.nvidiaProblem = undefined;
    this.update();
  }

  private onState(state: SamplerState): void {
    if (state.kind === 'unavailable' && this.vendor === 'nvidia') {
      // No NVIDIA tool: look for AMD's before saying there is no GPU.
      this.nvidiaProblem = state.message;
      this.vendor = 'amd';
      this.sampler = undefined;
      this.update();
      return;
    }
    if (state.kind === 'unavailable') {
      this.problem = this.nvidiaProblem ? `${this.nvidiaProblem}; ${state.message}` : state.message;
      this.samples = [];
      this.item.hide();
      this.changed.fire(undefined);
    } else if (state.kind === 'failing') {
      this.item.tooltip = `GPU sampling failed: ${state.message}. Retrying in ${Math.round(state.retryInMs / 1000)} s.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    }
  }

  private show(samples: GpuSample[]): void {
    this.samples = samples;
    this.sampledAt = Date.now();
    this.problem = undefined;
    this.history.add(samples, this.sampledAt);
    if (this.panel.isOpen) this.postToPanel();
    if (vscode.workspace.getConfiguration('mlEngineer').get<boolean>('gpu.statusBar', true)) {
      this.item.text = `$(pulse) ${this.remote ? `${this.remote.label}: ` : ''}${statusText(samples)}`;
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
      return this.samples.map((sample) => ({ kind: 'gpu', sample }));
    }
    if (node.kind !== 'gpu') return [];
    await this.refreshProcesses();
    const owners = this.owners();
    return this.processes
      .filter((p) => p.gpuUuid === node.sample.uuid || (this.samples.length === 1 && node.sample.uuid === null))
      .map((process) => ({ kind: 'process', process, owner: ownerOf(process.pid, owners) }));
  }

  getTreeItem(node: GpuNode): vscode.TreeItem {
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
    item.description = `${g.utilizationGpu ?? '–'}% · ${formatGiB(g.memoryUsedMiB)}/${formatGiB(g.memoryTotalMiB)} GB · ${g.temperatureC ?? '–'}°C · ${g.powerDrawW ?? '–'}/${g.powerLimitW ?? '–'} W`;
    item.iconPath = new vscode.ThemeIcon('circuit-board');
    item.tooltip = tooltip([g], this.processes.filter((p) => p.gpuUuid === g.uuid), this.owners());
    item.id = `gpu:${g.uuid ?? g.index}`;
    return item;
  }

  dispose(): void {
    this.sampler?.stop();
    this.remote?.sampling.dispose();
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
