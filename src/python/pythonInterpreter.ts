import { runIsolatedPython } from './isolatedPython';

/** Where a candidate interpreter came from, in the order they are tried. */
export type PythonSource = 'setting' | 'python-extension' | 'path';

export interface PythonCandidate {
  readonly command: string;
  readonly source: PythonSource;
}

export interface PythonInterpreter {
  readonly command: string;
  readonly source: PythonSource;
  readonly executable: string;
  readonly version: string;
  /** True inside a virtual environment (venv, virtualenv, conda env counts as its own prefix). */
  readonly isVirtualEnv: boolean;
}

export interface PythonAttempt {
  readonly candidate: PythonCandidate;
  readonly problem: string;
}

export type PythonResolution =
  | { readonly found: true; readonly interpreter: PythonInterpreter; readonly attempts: readonly PythonAttempt[] }
  | { readonly found: false; readonly attempts: readonly PythonAttempt[] };

const PROBE = [
  'import json, sys',
  'print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],',
  ' "venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix)}))',
].join('\n');

const MIN_VERSION: readonly [number, number] = [3, 8];

/**
 * The candidates in priority order: an explicit setting, the Python extension's active
 * interpreter, then `python3` and `python` on PATH. Duplicates are dropped.
 */
export function pythonCandidates(configured: string | undefined, fromPythonExtension: string | undefined): PythonCandidate[] {
  const list: PythonCandidate[] = [];
  const add = (command: string | undefined, source: PythonSource): void => {
    const trimmed = command?.trim();
    if (trimmed && !list.some((c) => c.command === trimmed)) list.push({ command: trimmed, source });
  };
  add(configured, 'setting');
  add(fromPythonExtension, 'python-extension');
  add('python3', 'path');
  add('python', 'path');
  return list;
}

/** Runs each candidate until one answers as a Python 3.8+; says why each one before it failed. */
export async function resolvePython(
  candidates: readonly PythonCandidate[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<PythonResolution> {
  const attempts: PythonAttempt[] = [];
  for (const candidate of candidates) {
    const outcome = await probeInterpreter(candidate, options);
    if ('problem' in outcome) {
      attempts.push({ candidate, problem: outcome.problem });
      // An explicit setting that fails is still reported, but we go on to the next candidate.
      continue;
    }
    return { found: true, interpreter: outcome, attempts };
  }
  return { found: false, attempts };
}

async function probeInterpreter(
  candidate: PythonCandidate,
  options: { timeoutMs?: number; signal?: AbortSignal },
): Promise<PythonInterpreter | { problem: string }> {
  const result = await runIsolatedPython(candidate.command, PROBE, [], {
    timeoutMs: options.timeoutMs ?? 15_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  switch (result.kind) {
    case 'not-found':
      return { problem: 'not found' };
    case 'timed-out':
      return { problem: `did not answer within ${result.timeoutMs} ms` };
    case 'cancelled':
      return { problem: 'cancelled' };
    case 'exited':
      break;
  }
  if (result.code !== 0) {
    // Python 2 and other old interpreters do not know -I (isolated mode, Python 3.4+).
    if (/Unknown option:? -I|unknown option -I/i.test(result.stderr)) return { problem: `is not Python ${MIN_VERSION.join('.')} or newer (it has no isolated mode, -I)` };
    const firstLine = result.stderr.trim().split('\n').pop() ?? '';
    return { problem: `exited with code ${result.code}${firstLine ? `: ${firstLine}` : ''}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
  } catch {
    return { problem: 'is not a Python 3 interpreter (unexpected output)' };
  }
  if (!isProbeOutput(parsed)) return { problem: 'is not a Python 3 interpreter (unexpected output)' };
  const [major = 0, minor = 0] = parsed.version.split('.').map(Number);
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    return { problem: `is Python ${parsed.version}; ${MIN_VERSION.join('.')} or newer is needed` };
  }
  return {
    command: candidate.command,
    source: candidate.source,
    executable: parsed.executable,
    version: parsed.version,
    isVirtualEnv: parsed.venv,
  };
}

function isProbeOutput(value: unknown): value is { executable: string; version: string; venv: boolean } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.executable === 'string' && typeof v.version === 'string' && typeof v.venv === 'boolean';
}
