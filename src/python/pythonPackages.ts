import { runIsolatedPython } from './isolatedPython';

/** The distributions an ML engineer's environment is judged by, grouped for reading. */
export const ML_PACKAGES = {
  frameworks: ['torch', 'torchvision', 'lightning', 'pytorch-lightning', 'tensorflow', 'jax', 'transformers', 'scikit-learn'],
  data: ['numpy', 'pandas', 'polars'],
  tracking: ['mlflow', 'wandb', 'tensorboard', 'optuna'],
  export: ['onnx', 'onnxruntime', 'onnxruntime-gpu', 'onnxconverter-common', 'skl2onnx', 'safetensors'],
  jupyter: ['jupyter_server', 'notebook', 'ipykernel'],
  serving: ['fastapi', 'uvicorn'],
} as const satisfies Record<string, readonly string[]>;

export type PackageGroup = keyof typeof ML_PACKAGES;

export interface InstalledPackage {
  readonly name: string;
  readonly group: PackageGroup;
  /** null: not installed in this interpreter. */
  readonly version: string | null;
}

// importlib.metadata reads versions without importing the packages: torch alone takes seconds to import.
const SCRIPT = `
import json, sys
try:
    from importlib import metadata
except ImportError:
    import importlib_metadata as metadata
out = {}
for name in json.loads(sys.argv[1]):
    try:
        out[name] = metadata.version(name)
    except Exception:
        out[name] = None
print(json.dumps(out))
`;

export type PackagesResult =
  | { readonly ok: true; readonly packages: readonly InstalledPackage[] }
  | { readonly ok: false; readonly problem: string };

export async function listMlPackages(
  python: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<PackagesResult> {
  const names = Object.values(ML_PACKAGES).flat();
  const result = await runIsolatedPython(python, SCRIPT, [JSON.stringify(names)], {
    timeoutMs: options.timeoutMs ?? 20_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.kind !== 'exited') {
    return { ok: false, problem: result.kind === 'timed-out' ? `timed out after ${result.timeoutMs} ms` : result.kind };
  }
  if (result.code !== 0) return { ok: false, problem: result.stderr.trim().split('\n').pop() ?? `exit code ${result.code}` };
  let versions: Record<string, unknown>;
  try {
    versions = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    return { ok: false, problem: 'unexpected output from the package probe' };
  }
  const packages: InstalledPackage[] = [];
  for (const [group, list] of Object.entries(ML_PACKAGES) as [PackageGroup, readonly string[]][]) {
    for (const name of list) {
      const version = versions[name];
      packages.push({ name, group, version: typeof version === 'string' ? version : null });
    }
  }
  return { ok: true, packages };
}
