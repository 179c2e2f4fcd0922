// Entry of dist/workers/models.js: the model readers in a worker thread, started by
// src/models/modelReader.ts (docs/architecture.md, "Readers off the host thread").
import { watchFileOpens } from '../../common/worker/fileOpens';
import { serveWorker } from '../../common/worker/serveWorker';
import { inspectModel } from '../inspectModel';
import type { ModelsWorkerApi } from '../modelReader';

watchFileOpens();
serveWorker<ModelsWorkerApi>({
  inspect: ({ path }) => inspectModel(path),
});
