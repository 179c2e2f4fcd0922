import { readGpuInventory, type GpuInventory } from '../gpu/gpuInventory';
import { listMlPackages, type InstalledPackage, type PackagesResult } from '../python/pythonPackages';
import { resolvePython, type PythonCandidate, type PythonResolution } from '../python/pythonInterpreter';
import { featureLimits, pipInstallCommand, type FeatureLimit } from './featureNeeds';

/** What `ml-engineer doctor` and "ML Engineer: Check Environment" find. Plain data: it is also the `--json` output. */
export interface EnvironmentReport {
  readonly generatedAt: string;
  readonly node: { readonly version: string; readonly platform: string; readonly arch: string };
  readonly python: PythonResolution;
  /** null when no interpreter was found. */
  readonly packages: PackagesResult | null;
  readonly jupyter: JupyterReadiness;
  readonly gpus: GpuInventory;
  /** Whether the chat has an Anthropic API key, and where it was found (never the key). */
  readonly apiKey: ApiKeyStatus;
  /** Features a missing package limits, with the command that installs it; empty when none (or Python was not read). */
  readonly limits: readonly FeatureLimit[];
}

/** Where a key is looked for: VS Code's SecretStorage (the extension), the ANTHROPIC_API_KEY variable (both). */
export type ApiKeySource = 'secret-storage' | 'environment';

export type ApiKeyStatus = { readonly set: true; readonly source: ApiKeySource } | { readonly set: false; readonly checked: readonly ApiKeySource[] };

export type JupyterReadiness =
  | { readonly status: 'ready'; readonly server: string; readonly kernel: string }
  | { readonly status: 'missing'; readonly missing: readonly string[]; readonly installHint: string }
  | { readonly status: 'unknown'; readonly reason: string };

export interface EnvironmentProbeOptions {
  readonly pythonCandidates: readonly PythonCandidate[];
  readonly nvidiaSmi: string;
  readonly signal?: AbortSignal;
  /** The extension asks its SecretStorage (through its adapter); the CLI only sees ANTHROPIC_API_KEY in `env`. */
  readonly apiKey?: () => Promise<ApiKeyStatus>;
  readonly env?: NodeJS.ProcessEnv;
}

export async function collectEnvironment(options: EnvironmentProbeOptions): Promise<EnvironmentReport> {
  const signal = options.signal ? { signal: options.signal } : {};
  // GPUs and Python are independent: ask both at once.
  const env = options.env ?? process.env;
  const [python, gpus, apiKey] = await Promise.all([
    resolvePython(options.pythonCandidates, signal),
    readGpuInventory(options.nvidiaSmi, signal),
    options.apiKey ? options.apiKey() : Promise.resolve(environmentApiKey(env)),
  ]);
  const packages = python.found ? await listMlPackages(python.interpreter.command, signal) : null;
  return {
    generatedAt: new Date().toISOString(),
    node: { version: process.version, platform: process.platform, arch: process.arch },
    python,
    packages,
    jupyter: jupyterReadiness(python, packages),
    gpus,
    apiKey,
    limits: python.found && packages?.ok ? featureLimits(python.interpreter.command, packages.packages) : [],
  };
}

/** The CLI's view of the key: ANTHROPIC_API_KEY only (SecretStorage belongs to VS Code). */
export function environmentApiKey(env: NodeJS.ProcessEnv): ApiKeyStatus {
  return env.ANTHROPIC_API_KEY?.trim() ? { set: true, source: 'environment' } : { set: false, checked: ['environment'] };
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
    installHint: pipInstallCommand(python.interpreter.command, missing),
  };
}

export function installedPackages(report: EnvironmentReport): InstalledPackage[] {
  return report.packages?.ok ? report.packages.packages.filter((p) => p.version !== null) : [];
}
