// The data engine's settings (mlEngineer.data.*, package.json) checked before an engine starts with
// them. The schema's minimum and maximum bind only the Settings editor: settings.json can hold any
// value, and a memory_limit DuckDB refuses or a spill folder the engine cannot create would stop
// every Dataset from opening. So each bad value gets a warning naming the setting and the default.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { SETTINGS } from '../../commandIds';
import type { EngineOptions } from './engineClient';
import { othersMayRename } from './spillFolders';

/** The bounds package.json's schema gives too (test/unit/dataEngineSettings.test.ts keeps them equal). */
export const DATA_ENGINE_LIMITS = {
  memoryLimitMb: { minimum: 128, maximum: 1_048_576, default: 1024 },
  threads: { minimum: 0, maximum: 256, default: 0 },
} as const;

export interface DataEngineSettings {
  readonly memoryLimitMb?: unknown;
  readonly threads?: unknown;
  readonly spillFolder?: unknown;
}

export interface CheckedEngineSettings {
  /** Absent fields take the engine's defaults (1024 MB, every core up to 8, the OS temp folder). */
  readonly options: Pick<EngineOptions, 'memoryLimitMb' | 'threads' | 'tempDir'>;
  readonly warnings: readonly string[];
}

/** The engine options the settings give; a bad value is left out (the default) and said in a warning. */
export function checkEngineSettings(settings: DataEngineSettings): CheckedEngineSettings {
  const warnings: string[] = [];
  const whole = (key: 'memoryLimitMb' | 'threads', unit: string, fallback: string): number | undefined => {
    const value = settings[key];
    const { minimum, maximum } = DATA_ENGINE_LIMITS[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= minimum && value <= maximum) return value;
    warnings.push(`${SETTINGS.data}.${key} is ${JSON.stringify(value)}: it must be a whole number from ${minimum} to ${maximum}${unit}. The data engine uses ${fallback}.`);
    return undefined;
  };
  const memoryLimitMb = whole('memoryLimitMb', ' (MB)', `the default, ${DATA_ENGINE_LIMITS.memoryLimitMb.default} MB`);
  const threads = whole('threads', ' (0: automatic)', 'every core, at most 8');
  const tempDir = spillFolder(settings.spillFolder, warnings);
  return {
    options: { memoryLimitMb, threads: threads === 0 ? undefined : threads, tempDir },
    warnings,
  };
}

/** An existing, writable folder (a leading ~ is the home folder), or undefined: the OS temp folder. */
function spillFolder(value: unknown, warnings: string[]): string | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  const fallback = 'The data engine spills to the system temp folder.';
  if (typeof value !== 'string') {
    warnings.push(`${SETTINGS.data}.spillFolder must be a folder path, not ${JSON.stringify(value)}. ${fallback}`);
    return undefined;
  }
  const trimmed = value.trim();
  const path = trimmed === '~' || trimmed.startsWith('~/') ? join(homedir(), trimmed.slice(1)) : trimmed;
  let problem: string | undefined;
  if (!isAbsolute(path)) problem = 'is not an absolute path';
  else {
    try {
      const stats = statSync(path);
      if (!stats.isDirectory()) problem = 'is not a folder';
      // The engine would refuse it (spillFolders.ts): the default instead, with a warning.
      else if (othersMayRename(stats)) problem = 'is writable by other users and has no sticky bit';
      else accessSync(path, constants.W_OK | constants.X_OK);
    } catch (error) {
      problem = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be written to';
    }
  }
  if (!problem) return path;
  warnings.push(`${SETTINGS.data}.spillFolder "${value}" ${problem}. ${fallback}`);
  return undefined;
}
