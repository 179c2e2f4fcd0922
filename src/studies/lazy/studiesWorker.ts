// Entry of dist/workers/studies.js: the Optuna study and MLflow registry readers in a worker
// thread, started by src/studies/studyReaders.ts (docs/architecture.md).
import { serveWorker } from '../../common/worker/serveWorker';
import { readRegistryFileStore } from '../../tracking/registry/registryFileStore';
import { readRegistrySqlite } from '../../tracking/registry/registrySqlite';
import { ImportanceMemo } from '../importanceMemo';
import { JournalReplay } from '../optunaJournal';
import { readOptunaSqlite } from '../optunaSqlite';
import { discoverStudyFiles, studyFileKind, type StudyFile } from '../studyDiscovery';
import type { StudyFileSnapshot } from '../studyModel';
import type { StudiesWorkerApi } from '../studyReaders';

/** Each journal's replay, kept so that a reread reads only the lines appended since. */
const journals = new Map<string, JournalReplay>();
/** Importances are fitted here, off the extension host, and refitted at most every few seconds. */
const importances = new ImportanceMemo();

serveWorker<StudiesWorkerApi>({
  discover: ({ root, options }) => discoverStudyFiles(root, options),
  kindOf: ({ path }) => studyFileKind(path) ?? null,
  read: ({ file }) => importances.attach(readStudies(file)),
  registry: ({ store, kind }) => (kind === 'mlflow' ? readRegistryFileStore(store) : readRegistrySqlite(store)),
});

function readStudies(file: StudyFile): StudyFileSnapshot {
  if (file.kind === 'optuna-sqlite') return readOptunaSqlite(file.path);
  let replay = journals.get(file.path);
  if (!replay) journals.set(file.path, (replay = new JournalReplay(file.path)));
  try {
    return replay.read();
  } catch (error) {
    journals.delete(file.path);
    throw error;
  }
}
