import * as vscode from 'vscode';
import { SETTINGS } from '../../commandIds';
import type { RunnerLimits } from '../worker/workerRunner';

/**
 * The readers' budgets from `mlEngineer.readers.*` (restricted in untrusted workspaces, so a
 * workspace cannot raise them). Model files get the time once; tracking sources may keep reading
 * that long without a break, and thirty times that in all.
 */
export function readerLimits(kind: 'models' | 'tracking'): RunnerLimits {
  const settings = vscode.workspace.getConfiguration(SETTINGS.readers);
  const seconds = clamp(settings.get<number>('timeLimitSeconds'), 1, 600, 20);
  const memoryMb = clamp(settings.get<number>('memoryLimitMb'), 128, 16_384, 512);
  return kind === 'models' ? { memoryMb, timeMs: seconds * 1000 } : { memoryMb, stallMs: seconds * 1000, timeMs: seconds * 30_000 };
}

function clamp(value: number | undefined, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}
