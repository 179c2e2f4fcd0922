import { basename, join, resolve } from 'node:path';
import { workspaceTools } from '../agent/tools/builtinTools';
import type { FileChange, Tool, ToolContext } from '../agent/tools/tool';
import { WorkspaceFiles } from '../agent/tools/workspaceFiles';
import type { Logger } from '../common/logger';
import { silentLogger } from '../common/logger';
import { agentDataTools } from '../data/agentDataTools';
import { DataEngine } from '../data/engine/engineClient';
import { KernelDatasetSource } from '../data/kernel/kernelDatasetSource';
import { gpuStatusTool } from '../gpu/gpuStatusTool';
import { AgentExecutions, kernelTools } from '../kernels/kernelTools';
import { compareModelsOnDataTool, compareModelsTool } from '../models/compare/compareTool';
import { modelTools } from '../models/modelTools';
import { detectDriftTool } from '../monitoring/driftTool';
import { FolderServers } from '../serving/agentServers';
import { loadTestTool } from '../serving/loadTestTool';
import { sendRequestsTool, serveLocallyTool } from '../serving/servingTools';
import { stopServerTool } from '../serving/stopServerTool';
import { writeModelCardTool } from '../modelCard/modelCardTool';
import { loadOrt, type OrtModule } from '../models/runtime/onnxRun';
import { pythonCandidates, resolvePython } from '../python/pythonInterpreter';
import { serverFromEnv } from '../tracking/registry/envServer';
import { folderRegistryTools } from '../tracking/registry/folderRegistryTools';
import { RunCatalog } from '../tracking/runCatalog';
import { trackingTools } from '../tracking/trackingTools';
import { TrackingReaders } from '../tracking/workerSources';
import { JobClusters, LOCAL_CLUSTER, parseClusters } from '../jobs/jobClusters';
import { folderKernelPython } from '../jobs/kernel/folderSettings';
import { HeldKernelJobs } from '../jobs/kernel/kernelJobHost';
import type { FoundLogs } from '../jobs/jobRuns';
import { jobTools } from '../jobs/jobTools';
import { sshRunnerFactory } from '../jobs/sshRunnerFactory';
import { FolderKernel } from './folderKernel';
import { gpuSnapshot } from './gpuSnapshot';
import { TOOL_FEATURES, type ToolFeature } from './toolFeatures';

export interface FolderToolsetOptions {
  /** The workspace folder: every path the tools take is confined to it. */
  readonly folder: string;
  readonly log?: Logger;
  /** The Python for kernels, exports and optimizers; else python3 / python on PATH. */
  readonly python?: string;
  readonly nvidiaSmi?: string;
  /** The longest one kernel tool call waits (seconds); longer work is read through wait_for_execution. */
  readonly kernelWaitBudgetSeconds?: number;
  /** The Slurm clusters of the job tools ("local", SSH hosts); default this machine. */
  readonly clusters?: readonly string[];
  /** Where MLFLOW_TRACKING_URI (a tracking server's registry) and its credentials are read; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The agent's tools for one folder, free of the editor: what the MCP server serves and the headless agent uses. */
export interface FolderToolset {
  readonly folder: string;
  readonly files: WorkspaceFiles;
  /** Every tool, in the chat's order: the workspace tools, then each of TOOL_FEATURES'. */
  readonly tools: readonly Tool[];
  /** What each tool runs with: the folder's files, changes written atomically, ripgrep from PATH. */
  readonly context: ToolContext;
  /** The folder's kernel, started by the first kernel tool. */
  readonly kernel: FolderKernel;
  /** Stops the kernel (and its Jupyter server), the model servers serve_locally started and the tracking readers' workers. */
  dispose(): Promise<void>;
}

/** Seconds between two looks for new tracking sources (a run started during the session). */
const REDISCOVER_AFTER_MS = 10_000;

export function folderToolset(options: FolderToolsetOptions): FolderToolset {
  const folder = resolve(options.folder);
  const log = options.log ?? silentLogger;
  const files = new WorkspaceFiles([{ name: basename(folder) || folder, path: folder }]);
  const candidates = pythonCandidates(options.python, undefined).map((c) => c.command);
  const kernel = new FolderKernel(folder, { pythonCandidates: candidates, log });
  const executions = new AgentExecutions();

  let python: Promise<string> | undefined;
  const userPython = (): Promise<string> =>
    (python ??= resolvePython(pythonCandidates(options.python, undefined)).then((found) => {
      if (found.found) return found.interpreter.command;
      python = undefined;
      throw new Error(`no Python 3.8+ found (${found.attempts.map((a) => `${a.candidate.command}: ${a.problem}`).join('; ')}); start with --python PATH`);
    }));
  let ort: OrtModule | undefined;
  const ortModule = (): OrtModule => (ort ??= loadOrtHere());

  let readers: TrackingReaders | undefined;
  const catalog = new RunCatalog();
  let discoveredAt = 0;
  const refreshRuns = async (force = false): Promise<void> => {
    if (!force && Date.now() - discoveredAt < REDISCOVER_AFTER_MS) return;
    readers ??= new TrackingReaders();
    const found = await readers.discover(folder);
    if (found.truncated) log.warn(`experiments: discovery in ${folder} ${found.truncated}`);
    catalog.setSources(found.sources);
    await catalog.loadAll();
    discoveredAt = Date.now();
  };

  // Studies and the model registry: with the tracking tools, as the chat's tracking feature gives them.
  const server = serverFromEnv(options.env ?? process.env);
  const registry = folderRegistryTools({
    folder,
    log,
    sources: async () => (await refreshRuns(), catalog.sources().map((e) => e.source)),
    runs: () => catalog.runs(),
    ...(server ? { server } : {}),
    python: userPython,
  });
  let engine: DataEngine | undefined;
  let clusters: JobClusters | undefined;
  let heldKernels: HeldKernelJobs | undefined;
  const servers = new FolderServers(userPython, folder);
  const serving = { servers, engine: () => (engine ??= new DataEngine()) };
  const gpu = gpuSnapshot(options.nvidiaSmi ?? 'nvidia-smi');
  const byFeature: Record<ToolFeature, () => Tool[]> = {
    gpu: () => [gpuStatusTool(() => gpu.read(), () => gpu.processes())],
    kernels: () => kernelTools(kernel, executions, options.kernelWaitBudgetSeconds !== undefined ? { waitBudgetSeconds: options.kernelWaitBudgetSeconds } : {}),
    tracking: () => [...trackingTools(catalog, refreshRuns), ...registry.tools],
    models: () => modelTools({ ort: ortModule, python: userPython, cwd: () => folder }),
    data: () => agentDataTools({ engine: () => (engine ??= new DataEngine()), kernelSource: async (variable, signal) => KernelDatasetSource.open((await kernel.active()).connection, variable, signal) }),
    serving: () => [serveLocallyTool(serving), sendRequestsTool(serving), loadTestTool(serving), stopServerTool(serving), detectDriftTool(() => (engine ??= new DataEngine()), async () => (await kernel.active()).connection), compareModelsTool(ortModule), compareModelsOnDataTool(ortModule, userPython, () => folder)],
    modelCard: () => [writeModelCardTool({ runs: async () => (await refreshRuns(true), catalog.runs()), ort: ortModule, engine: () => (engine ??= new DataEngine()) })],
    jobs: () => {
      const current = (): JobClusters => (clusters ??= new JobClusters(parseClusters(options.clusters), sshRunnerFactory()));
      // A kernel job started here runs Jupyter with --python on this machine's Slurm (as given: it is this
      // machine's Python), else the folder's mlEngineer.jobs.kernelPython (read at each start, checked as the
      // editor checks it), else python3; on this machine it starts in the folder (its output file and
      // Jupyter's root there), not the process's cwd.
      heldKernels ??= new HeldKernelJobs(current, (id) => (id === LOCAL_CLUSTER && options.python ? { python: options.python, from: '--python' } : folderKernelPython(folder, id)), folder);
      // job_status names the tracking logs of a job's working folder, found as list_runs finds the folder's.
      const findLogs = async (dir: string): Promise<FoundLogs[]> => (await (readers ??= new TrackingReaders()).discover(dir)).sources.map((s) => ({ kind: s.kind, path: s.root }));
      return jobTools({ clusters: current, kernelJobs: heldKernels, findLogs });
    },
  };
  const tools = [...workspaceTools(), ...TOOL_FEATURES.flatMap((name) => byFeature[name]())];

  const context: ToolContext = {
    files,
    applyChange: (change: FileChange) => {
      // Notebook cells are edited through an editor's notebook API; here there is none.
      if (change.cell) return Promise.reject(new Error('notebook cells are edited in the editor only'));
      return files.writeTextAtomic(change.absolutePath, change.after);
    },
  };

  return {
    folder,
    files,
    tools,
    context,
    kernel,
    async dispose() {
      await Promise.all([kernel.dispose(), servers.dispose(), heldKernels?.close()]);
      await engine?.close();
      catalog.dispose();
      readers?.dispose();
      registry.dispose();
      clusters?.dispose();
    },
  };
}

/** onnxruntime-web: the bundled dist/lazy/ort.js beside dist/cli.js, or the package when run from source. */
function loadOrtHere(): OrtModule {
  return __filename.endsWith('.ts') ? loadOrt() : loadOrt(join(__dirname, 'lazy', 'ort.js'));
}
