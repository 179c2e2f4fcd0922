import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { formatGiB, needsAttention, statusText, type GpuSample } from '../gpuSample';
import type { GpuReading } from '../gpuStatusTool';
import { NvidiaSmiSampler, type SamplerState } from '../nvidiaSmiSampler';

const FOCUSED_MS = 2000;
const BACKGROUND_MS = 10_000;

/**
 * The GPU status bar item and the GPUs tree, fed by one sampler per window. Sampling slows
 * when the window is in the background and stops when neither the item nor the view shows it.
 */
export class GpuMonitor implements vscode.TreeDataProvider<GpuSample>, vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mlEngineer.gpu', vscode.StatusBarAlignment.Right, 90);
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private sampler: NvidiaSmiSampler | undefined;
  private samples: GpuSample[] = [];
  private sampledAt: number | undefined;
  private problem: string | undefined;
  private viewVisible = false;

  constructor(private readonly log: Logger) {
    this.item.name = 'ML Engineer: GPUs';
    this.item.command = 'mlEngineer.gpus.focus';
    const view = vscode.window.createTreeView('mlEngineer.gpus', { treeDataProvider: this });
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
        if (e.affectsConfiguration('mlEngineer.gpu')) this.restart();
      }),
    );
    this.update();
  }

  /** What the agent's gpu_status tool reads. */
  reading(): GpuReading {
    return { samples: this.samples, ...(this.problem ? { problem: this.problem } : {}), ...(this.sampledAt ? { at: this.sampledAt } : {}) };
  }

  private wanted(): boolean {
    return vscode.workspace.getConfiguration('mlEngineer').get<boolean>('gpu.statusBar', true) || this.viewVisible;
  }

  private update(): void {
    if (!this.wanted()) {
      this.sampler?.stop();
      this.sampler = undefined;
      this.item.hide();
      return;
    }
    if (!this.sampler && this.problem === undefined) {
      const command = vscode.workspace.getConfiguration('mlEngineer').get<string>('gpu.nvidiaSmiPath')?.trim() || 'nvidia-smi';
      this.sampler = new NvidiaSmiSampler({
        command,
        intervalMs: vscode.window.state.focused ? FOCUSED_MS : BACKGROUND_MS,
        log: this.log,
        onSnapshot: (samples) => this.show(samples),
        onState: (state) => this.onState(state),
      });
      this.sampler.start();
    }
  }

  private restart(): void {
    this.sampler?.stop();
    this.sampler = undefined;
    this.problem = undefined;
    this.update();
  }

  private onState(state: SamplerState): void {
    if (state.kind === 'unavailable') {
      this.problem = state.message;
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
    if (vscode.workspace.getConfiguration('mlEngineer').get<boolean>('gpu.statusBar', true)) {
      this.item.text = `$(pulse) ${statusText(samples)}`;
      this.item.backgroundColor = needsAttention(samples) ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      this.item.tooltip = tooltip(samples);
      this.item.accessibilityInformation = { label: `GPUs: ${statusText(samples)}` };
      this.item.show();
    }
    if (this.viewVisible) this.changed.fire(undefined);
  }

  getChildren(): GpuSample[] {
    return this.samples;
  }

  getTreeItem(g: GpuSample): vscode.TreeItem {
    const item = new vscode.TreeItem(`${g.index}: ${g.name}`);
    item.description = `${g.utilizationGpu ?? '–'}% · ${formatGiB(g.memoryUsedMiB)}/${formatGiB(g.memoryTotalMiB)} GB · ${g.temperatureC ?? '–'}°C · ${g.powerDrawW ?? '–'}/${g.powerLimitW ?? '–'} W`;
    item.iconPath = new vscode.ThemeIcon('circuit-board');
    item.tooltip = tooltip([g]);
    return item;
  }

  dispose(): void {
    this.sampler?.stop();
    for (const d of this.disposables) d.dispose();
  }
}

function tooltip(samples: readonly GpuSample[]): vscode.MarkdownString {
  const rows = samples.map(
    (g) => `| ${g.index} | ${g.name} | ${g.utilizationGpu ?? '–'}% | ${formatGiB(g.memoryUsedMiB)}/${formatGiB(g.memoryTotalMiB)} GB | ${g.temperatureC ?? '–'} °C | ${g.powerDrawW ?? '–'}/${g.powerLimitW ?? '–'} W |`,
  );
  return new vscode.MarkdownString(['| GPU | Name | Util | Memory | Temp | Power |', '|---|---|---|---|---|---|', ...rows].join('\n'));
}
