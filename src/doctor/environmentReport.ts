import { readGpuInventory, type GpuInventory } from '../gpu/gpuInventory';
import { listMlPackages, type InstalledPackage, type PackagesResult } from '../python/pythonPackages';
import { resolvePython, type PythonCandidate, type PythonResolution } from '../python/pythonInterpreter';

/** What `ml-engineer doctor` and "ML Engineer: Check Environment" find. Plain data: it is also the `--json` output. */
export interface EnvironmentReport {
  readonly generatedAt: string;
  readonly node: { readonly version: string; readonly platform: string; readonly arch: string };
  readonly python: PythonResolution;
  /** null when no interpreter was found. */
  readonly packages: PackagesResult | null;
  readonly jupyter: JupyterReadiness;
  readonly gpus: GpuInventory;
}

export type JupyterReadiness =
  | { readonly status: 'ready'; readonly server: string; readonly kernel: string }
  | { readonly status: 'missing'; readonly missing: readonly string[]; readonly installHint: string }
  | { readonly status: 'unknown'; readonly reason: string };

export interface EnvironmentProbeOptions {
  readonly pythonCandidates: readonly PythonCandidate[];
  readonly nvidiaSmi: string;
  readonly signal?: AbortSignal;
}

export async function collectEnvironment(options: EnvironmentProbeOptions): Promise<EnvironmentReport> {
  const signal = options.signal ? { signal: options.signal } : {};
  // GPUs and Python are independent: ask both at once.
  const [python, gpus] = await Promise.all([
    resolvePython(options.pythonCandidates, signal),
    readGpuInventory(options.nvidiaSmi, signal),
  ]);
  const packages = python.found ? await listMlPackages(python.interpreter.command, signal) : null;
  return {
    generatedAt: new Date().toISOString(),
    node: { version: process.version, platform: process.platform, arch: process.arch },
    python,
    packages,
    jupyter: jupyterReadiness(python, packages),
    gpus,
  };
}

export function jupyterReadiness(python: PythonResolution, packages: PackagesResult | null): JupyterReadiness {
  if (!python.found) return { status: 'unknown', reason: 'no Python interpreter was found' };
  if (!packages || !packages.ok) return { status: 'unknown', reason: packages?.ok === false ? packages.problem : 'packages not read' };
  const version = (name: string): string | null => packages.packages.find((p) => p.name === name)?.version ?? null;
  const serverName = version('jupyter_server') ? 'jupyter_server' : version('notebook') ? 'notebook' : null;
  const kernel = version('ipykernel');
  if (serverName && kernel) {
    return { status: 'ready', server: `${serverName} ${version(serverName)}`, kernel: `ipykernel ${kernel}` };
  }
  const missing = [...(serverName ? [] : ['jupyter_server']), ...(kernel ? [] : ['ipykernel'])];
  return {
    status: 'missing',
    missing,
    installHint: `${python.interpreter.command} -m pip install ${missing.join(' ')}`,
  };
}

export function installedPackages(report: EnvironmentReport): InstalledPackage[] {
  return report.packages?.ok ? report.packages.packages.filter((p) => p.version !== null) : [];
}
