import { runIsolatedPython } from './isolatedPython';

// Whether an interpreter can import some modules, and their versions: asked before a job that
// needs them (onnxruntime.quantization, skl2onnx…), so the user hears what is missing before
// anything runs. Unlike listMlPackages (distribution metadata, no import), this imports: a module
// that is installed but broken counts as missing, with its error.

const PROBE = `
import importlib, json, sys
out = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
        out[name] = {"version": str(getattr(sys.modules[name.split(".")[0]], "__version__", "?"))}
    except Exception as e:
        out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
print(json.dumps(out))
`;

export interface ModuleCheck {
  /** The top-level package's version, when the module imports. */
  readonly version?: string;
  /** Why it is not usable, in words ("skl2onnx is not installed in /usr/bin/python3"). */
  readonly problem?: string;
}

/** For each module (dotted names allowed), its version or why it cannot be used; `label` names it for people. Never throws. */
export async function checkModules(python: string, modules: readonly { module: string; label: string }[]): Promise<ModuleCheck[]> {
  const result = await runIsolatedPython(python, PROBE, [JSON.stringify(modules.map((m) => m.module))], { timeoutMs: 60_000 });
  let found: Record<string, { version?: string; error?: string } | undefined> = {};
  try {
    if (result.kind === 'exited') found = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as typeof found;
  } catch {
    // not the probe's JSON: every module counts as missing
  }
  return modules.map(({ module, label }) => {
    const entry = found[module];
    if (entry?.version !== undefined) return { version: entry.version };
    if (result.kind !== 'exited') return { problem: `${python} could not be asked (${result.kind})` };
    const error = entry?.error ?? 'ModuleNotFoundError: No module named';
    return { problem: /No module named/.test(error) ? `${label} is not installed in ${python}` : `${label} does not import in ${python} (${error})` };
  });
}

/**
 * The command that installs `packages` into `python`, to show, copy or type into a terminal:
 * the interpreter quoted when its path needs it (single quotes for POSIX shells, PowerShell's
 * call operator with double quotes on Windows).
 */
export function pipInstallCommand(python: string, packages: readonly string[], platform: NodeJS.Platform = process.platform): string {
  const plain = /^[\w./:\\-]+$/.test(python);
  const exe = plain ? python : platform === 'win32' ? `& "${python}"` : `'${python.replace(/'/g, `'\\''`)}'`;
  return `${exe} -m pip install ${packages.join(' ')}`;
}
