import { join } from 'node:path';
import { WorkerRunner, type RunnerLimits } from '../common/worker/workerRunner';
import { workerScript } from '../common/worker/workerScript';
import { unreadableRegistry, type RegistrySnapshot } from '../tracking/registry/registryModel';
import type { StudyDiscoveryOptions, StudyFile } from './studyDiscovery';
import type { StudyFileSnapshot, StudyStorageKind } from './studyModel';

// Study files and model registries are read in a worker thread (dist/workers/studies.js), under
// the same time and heap budget as the tracking readers: a truncated or hostile study database
// ends its read with a clear error and never blocks the extension host. Each study file is read
// by the same worker every time, which keeps a journal's replay there (a reread tails it).

export type StudiesWorkerApi = {
  discover: { params: { root: string; options: StudyDiscoveryOptions }; result: { found: StudyFile[]; truncated?: string } };
  kindOf: { params: { path: string }; result: StudyStorageKind | null };
  read: { params: { file: StudyFile }; result: StudyFileSnapshot };
  registry: { params: { store: string; kind: 'mlflow' | 'mlflow-sqlite' }; result: RegistrySnapshot };
};

export const STUDY_READER_LIMITS: RunnerLimits = { memoryMb: 512, stallMs: 20_000, timeMs: 120_000 };

export class StudyReaders {
  private readonly runner: WorkerRunner<StudiesWorkerApi>;

  constructor(options: { limits?: RunnerLimits; script?: string } = {}) {
    this.runner = new WorkerRunner<StudiesWorkerApi>({
      script: options.script ?? workerScript('studies', () => join(__dirname, 'lazy', 'studiesWorker.ts')),
      limits: options.limits ?? STUDY_READER_LIMITS,
      maxWorkers: 1,
      idleMs: 5 * 60_000,
      cancelGraceMs: 1000,
    });
  }

  discover(root: string, options: StudyDiscoveryOptions = {}): Promise<{ found: StudyFile[]; truncated?: string }> {
    return this.runner.call('discover', { root, options }, { subject: root });
  }

  async kindOf(path: string): Promise<StudyStorageKind | undefined> {
    return (await this.runner.call('kindOf', { path }, { subject: path })) ?? undefined;
  }

  /** The file's studies; a file that stops the reader (too slow, too big) comes back as a snapshot with that problem. */
  async read(file: StudyFile, signal?: AbortSignal): Promise<StudyFileSnapshot> {
    try {
      return await this.runner.call('read', { file }, { subject: file.path, affinity: file.path, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw error;
      return { kind: file.kind, path: file.path, studies: [], problems: [(error as Error).message] };
    }
  }

  async registry(store: string, kind: 'mlflow' | 'mlflow-sqlite'): Promise<RegistrySnapshot> {
    try {
      return await this.runner.call('registry', { store, kind }, { subject: store });
    } catch (error) {
      return unreadableRegistry(store, error);
    }
  }

  setLimits(limits: RunnerLimits): void {
    this.runner.setLimits(limits);
  }

  dispose(): void {
    this.runner.dispose();
  }
}
