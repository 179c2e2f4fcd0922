import type { InstalledPackage } from '../python/pythonPackages';

// Which Python distribution each feature needs, so the report can say what a missing package
// limits and how to install it. The names are the distributions pip installs (and
// importlib.metadata reads); `alternatives` lists others that do the same job.

export interface FeatureNeed {
  /** The distributions the feature needs, each possibly replaceable by its alternatives. */
  readonly packages: readonly { readonly name: string; readonly alternatives?: readonly string[] }[];
  /** What cannot be done (or is done another way) without them. */
  readonly feature: string;
  /** What happens meanwhile, when the feature still works without them. */
  readonly meanwhile?: string;
}

export const FEATURE_NEEDS: readonly FeatureNeed[] = [
  { packages: [{ name: 'jupyter_server', alternatives: ['notebook'] }, { name: 'ipykernel' }], feature: 'local Jupyter kernels (notebooks run on a server the extension starts)', meanwhile: 'connect to a remote Jupyter server instead' },
  { packages: [{ name: 'onnxruntime', alternatives: ['onnxruntime-gpu'] }], feature: "Optimize with onnxruntime's quantizer (dynamic int8)", meanwhile: 'Optimize uses the built-in weight-only int8 rewrite' },
  { packages: [{ name: 'onnxconverter-common' }], feature: 'fp16 via Python (onnxconverter-common keeps float32 where operators need it)', meanwhile: 'Optimize uses the built-in fp16 rewrite' },
  { packages: [{ name: 'skl2onnx' }], feature: 'Export of scikit-learn models to ONNX' },
  { packages: [{ name: 'torch' }], feature: 'Export and Quantize of PyTorch models' },
  { packages: [{ name: 'fastapi' }, { name: 'uvicorn' }], feature: 'serving the generated FastAPI app (Deploy → FastAPI) on this machine' },
];

/** Every distribution FEATURE_NEEDS names: what the package probe must ask about. */
export const FEATURE_PACKAGE_NAMES: readonly string[] = [...new Set(FEATURE_NEEDS.flatMap((n) => n.packages.flatMap((p) => [p.name, ...(p.alternatives ?? [])])))];

/** A feature limited by missing packages, and the command that installs them into the interpreter found. */
export interface FeatureLimit {
  readonly feature: string;
  readonly missing: readonly string[];
  readonly meanwhile?: string;
  readonly install: string;
}

/** The features `packages` (as read from `python`) leaves limited, in FEATURE_NEEDS order. */
export function featureLimits(python: string, packages: readonly InstalledPackage[]): FeatureLimit[] {
  const installed = new Set(packages.filter((p) => p.version !== null).map((p) => p.name.toLowerCase()));
  const limits: FeatureLimit[] = [];
  for (const need of FEATURE_NEEDS) {
    const missing = need.packages.filter((p) => ![p.name, ...(p.alternatives ?? [])].some((n) => installed.has(n.toLowerCase()))).map((p) => p.name);
    if (missing.length === 0) continue;
    limits.push({ feature: need.feature, missing, ...(need.meanwhile ? { meanwhile: need.meanwhile } : {}), install: pipInstallCommand(python, missing) });
  }
  return limits;
}

/** `<python> -m pip install a b`, the interpreter quoted when its path has spaces (Windows: "C:\Program Files\…"). */
export function pipInstallCommand(python: string, packages: readonly string[]): string {
  const quoted = /[\s"'&|;<>()$`]/.test(python) ? `"${python.replace(/"/g, '\\"')}"` : python;
  return `${quoted} -m pip install ${packages.join(' ')}`;
}
