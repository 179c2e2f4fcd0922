import type { Tool } from '../../agent/tools/tool';
import type { Logger } from '../../common/logger';
import { StudyReaders } from '../../studies/studyReaders';
import { studyTools } from '../../studies/studyTools';
import type { MlflowServer } from '../mlflowServer';
import { RunCatalog } from '../runCatalog';
import type { RunRecord, RunSource } from '../runModel';
import type { LocatedRegistry } from './promotionPlan';
import { writePromotionAt } from './promotionWrite';
import { readRegistryRest } from './registryRest';
import { registryPromoteTools } from './registryTools';

// The studies and registry tools for a folder, free of the editor (the MCP server and the headless
// agent, through folderToolset): the same tools, in the same order, as the chat's tracking
// feature gives. Studies and registries are read again on every call (files in the reader worker,
// a tracking server over REST), so a promotion or a new trial shows at once. promote_model_version
// is a write tool: the MCP server serves it only with --allow-write, `ml-engineer ask` asks on the
// terminal or needs --allow write.

export interface FolderRegistryOptions {
  readonly folder: string;
  readonly log: Logger;
  /** The folder's run sources (the toolset's tracking catalog, discovered again when stale). */
  sources(): Promise<readonly RunSource[]>;
  /** The folder's runs, to give each version its run's metrics. */
  runs(): readonly RunRecord[];
  /** The tracking server MLFLOW_TRACKING_URI names, if any. */
  readonly server?: MlflowServer;
  /** The Python whose sqlite3 writes an mlflow.db. */
  python(): Promise<string>;
}

/** A server's runs are read again at most this often (its versions' metrics rarely change mid-session). */
const SERVER_RUNS_FRESH_MS = 10_000;

export function folderRegistryTools(options: FolderRegistryOptions): { readonly tools: Tool[]; dispose(): void } {
  const { server, log } = options;
  let readers: StudyReaders | undefined;
  const reader = (): StudyReaders => (readers ??= new StudyReaders());
  const serverRuns = new RunCatalog();
  if (server) serverRuns.setSources([server]);
  let serverRunsAt = 0;
  const refreshServerRuns = async (signal?: AbortSignal): Promise<void> => {
    if (!server || Date.now() - serverRunsAt < SERVER_RUNS_FRESH_MS) return;
    try {
      await serverRuns.loadAll(signal);
      serverRunsAt = Date.now();
    } catch (error) {
      log.warn(`registry: the runs of ${server.root}: ${(error as Error).message}`);
    }
  };

  const located = async (signal?: AbortSignal): Promise<LocatedRegistry[]> => {
    const out: LocatedRegistry[] = [];
    for (const source of await options.sources()) {
      if (source.kind !== 'mlflow' && source.kind !== 'mlflow-sqlite') continue;
      out.push({ registry: await reader().registry(source.root, source.kind), location: { kind: source.kind, root: source.root } });
    }
    if (server) {
      const [registry] = await Promise.all([readRegistryRest(server, signal), refreshServerRuns(signal)]);
      out.push({ registry, location: { kind: 'mlflow-server', root: server.root } });
    }
    return out;
  };
  const runs = (): RunRecord[] => [...options.runs(), ...serverRuns.runs()];

  const tools = [
    ...studyTools({
      studies: async (signal) => {
        const { found, truncated } = await reader().discover(options.folder);
        if (truncated) log.warn(`studies: discovery in ${options.folder} ${truncated}`);
        return Promise.all(found.map((file) => reader().read(file, signal)));
      },
      registries: async (signal) => (await located(signal)).map((r) => r.registry),
      runs,
    }),
    ...registryPromoteTools({
      registries: located,
      runs,
      promote: (location, name, version, promotion, signal) =>
        writePromotionAt(location, name, version, promotion, { python: () => options.python(), server: (root) => (server?.root === root ? server : undefined) }, signal),
    }),
  ];
  return {
    tools,
    dispose() {
      serverRuns.dispose();
      readers?.dispose();
    },
  };
}
