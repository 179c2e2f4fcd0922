import type { RegistryLocation } from './promotionPlan';
import { promoteInFileStore } from './registryFileStoreWrite';
import type { Promotion } from './registryPromote';
import { promoteOverRest, type RegistryServer } from './registryRest';
import { promoteInSqlite } from './registrySqliteWrite';

// Where an approved promotion is written, by the kind of registry: an mlruns/ FileStore in
// place, an mlflow.db through Python's sqlite3 (the caller finds the Python), a tracking server
// over REST. One switch for Promote…, `ml-engineer registry --promote` and the agent's tool.

export interface PromotionWriters {
  /** The Python whose sqlite3 writes an mlflow.db (asked for only then). */
  python(): Promise<string>;
  /** The server at `root`, or undefined when it is no longer configured. */
  server(root: string): RegistryServer | undefined;
}

export async function writePromotionAt(location: RegistryLocation, name: string, version: number, promotion: Promotion, writers: PromotionWriters, signal?: AbortSignal): Promise<void> {
  switch (location.kind) {
    case 'mlflow':
      promoteInFileStore(location.root, name, version, promotion);
      return;
    case 'mlflow-sqlite':
      await promoteInSqlite(await writers.python(), location.root, name, version, promotion);
      return;
    case 'mlflow-server': {
      const server = writers.server(location.root);
      if (!server) throw new Error(`${location.root} is no longer a configured tracking server.`);
      await promoteOverRest(server, name, version, promotion, signal);
    }
  }
}
