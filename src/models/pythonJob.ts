import { basename } from 'node:path';
import { runIsolatedPython } from '../python/isolatedPython';

// A short Python job on a model file, run with the user's interpreter (torch export and dynamic
// quantization, scikit-learn export): the job gets its spec as JSON in argv[1] and prints one JSON
// line, {"ok": true, …} or {"error": "…"}. Loading a pickle runs the classes it names: callers ask first.
// The job runs isolated from the workspace (runIsolatedPython): a workspace `json.py` or `torch.py`
// is never imported in place of the real one. Only while a pickle loads is the user's folder on
// sys.path, last, so that the classes it names (the user's own modules) can be found.

/** What every job starts with: the spec, and user_modules() for loading a pickle. */
export const JOB_PRELUDE = `
import contextlib, json, os, sys, time
spec = json.loads(sys.argv[1])

@contextlib.contextmanager
def user_modules():
    sys.path.append(spec["cwd"])
    try:
        yield
    finally:
        sys.path.remove(spec["cwd"])
`;

/** A torch job's start: torch, and a loader that checks it got an nn.Module. */
export const TORCH_PRELUDE = `${JOB_PRELUDE}
try:
    import torch
except ImportError:
    print(json.dumps({"error": "torch is not installed in this Python"})); sys.exit(0)

def load_module(path):
    with user_modules():
        model = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(model, torch.nn.Module):
        print(json.dumps({"error": "the file holds a %s, not an nn.Module" % type(model).__name__})); sys.exit(0)
    return model.eval()
`;

export interface PythonJobOptions {
  /** The user's folder (the workspace): its modules are importable while a pickle loads, never otherwise. Jobs run elsewhere. */
  readonly cwd: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** Runs `TORCH_PRELUDE + body` (see runPythonJob). */
export function runTorchJob<T extends object>(python: string, body: string, spec: { model: string } & Record<string, unknown>, options: PythonJobOptions, words: { noun: string; verb: string }): Promise<T & { torch?: string }> {
  return runPythonJob<T & { torch?: string }>(python, TORCH_PRELUDE + body, spec, options, words);
}

/**
 * Runs `script` (which starts with JOB_PRELUDE) on `spec` and returns its JSON answer. `noun`
 * names the job in errors ("the export"), `verb` what to do instead with a class pickled from a
 * script ("export").
 */
export async function runPythonJob<T extends object>(python: string, script: string, spec: { model: string } & Record<string, unknown>, options: PythonJobOptions, words: { noun: string; verb: string }): Promise<T> {
  const result = await runIsolatedPython(python, script, [JSON.stringify({ ...spec, cwd: options.cwd })], {
    timeoutMs: options.timeoutMs ?? 300_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.kind === 'cancelled') throw new Error('cancelled');
  if (result.kind === 'not-found') throw new Error(`${python} could not be run: ${result.message}`);
  if (result.kind === 'timed-out') throw new Error(`${words.noun} did not finish in ${result.timeoutMs / 1000} s`);
  let answer: { ok?: boolean; error?: string } = {};
  try {
    answer = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as typeof answer;
  } catch {
    // Python failed before printing: its traceback's last line says why.
  }
  if (answer.error) throw new Error(answer.error);
  if (!answer.ok) {
    const reason = result.stderr.trim().split('\n').slice(-1)[0] ?? `exit code ${String(result.code)}`;
    // A module pickled from a script's __main__ can only be loaded by that script.
    if (/Can't get attribute .* on <module '__main__'/.test(reason)) {
      throw new Error(`${basename(spec.model)} pickles a class defined in a script's __main__ (${reason.replace(/^.*Can't get attribute '([^']+)'.*$/, '$1')}): ${words.verb} it from that script instead (Ctrl+. on the model there)`);
    }
    throw new Error(`${words.noun} failed: ${reason}`);
  }
  return answer as T;
}
