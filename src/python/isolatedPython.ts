import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess, type RunOptions, type RunResult } from '../common/process';

// Every Python we start on the user's behalf runs isolated from the workspace: `python -c` puts
// its working directory first on sys.path, so a workspace `json.py` (or `os.py`, `torch.py`)
// would be imported by our own `import json`. So: `-I` (no script directory or working
// directory on sys.path, no PYTHON* variables, no user site-packages), started in a fresh empty
// temporary folder, with data passed as arguments, never written into the code.
//
// -I also drops two places that are the user's own, not the workspace's: their user
// site-packages (`pip install --user`, common on shared GPU machines) and absolute PYTHONPATH
// entries (HPC `module load`). The prelude puts those back where Python would have had them
// (relative PYTHONPATH entries, which would name the workspace, stay out).
export const ISOLATION_PRELUDE = `
def _mle_user_paths():
    import os, site, sys
    entries = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.isabs(p)]
    user_site = None
    if not os.environ.get("PYTHONNOUSERSITE") and (not hasattr(os, "getuid") or (os.getuid() == os.geteuid() and os.getgid() == os.getegid())):
        venv = os.path.join(sys.prefix, "pyvenv.cfg")
        inherits = True
        if sys.prefix != getattr(sys, "base_prefix", sys.prefix) and os.path.exists(venv):
            with open(venv, encoding="utf-8", errors="replace") as f:
                inherits = any(l.split("=", 1)[0].strip() == "include-system-site-packages" and l.split("=", 1)[-1].strip().lower() == "true" for l in f)
        if inherits:
            user_site = site.getusersitepackages()
    before = list(sys.path)
    if user_site and os.path.isdir(user_site):
        site.addsitedir(user_site)
    added = [p for p in sys.path if p not in before]
    rest = [p for p in sys.path if p in before]
    at = next((i for i, p in enumerate(rest) if os.path.basename(p) in ("site-packages", "dist-packages")), len(rest))
    sys.path[:] = [p for p in entries if p not in rest] + rest[:at] + added + rest[at:]
_mle_user_paths()
del _mle_user_paths
`;

/** The arguments that run `code` isolated (see above); `args` arrive as sys.argv[1:]. */
export function isolatedPythonArgs(code: string, args: readonly string[] = []): string[] {
  return ['-I', '-c', ISOLATION_PRELUDE + code, ...args];
}

/**
 * Runs a Python snippet isolated from the workspace (see above), from a fresh empty temporary
 * folder that is removed afterwards. Never rejects (runProcess's results).
 */
export async function runIsolatedPython(python: string, code: string, args: readonly string[], options: Omit<RunOptions, 'cwd'>): Promise<RunResult> {
  const cwd = await mkdtemp(join(tmpdir(), 'mle-python-'));
  try {
    return await runProcess(python, isolatedPythonArgs(code, args), { ...options, cwd });
  } finally {
    await rm(cwd, { recursive: true, force: true }).catch(() => undefined);
  }
}
