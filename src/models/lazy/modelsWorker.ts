// Entry of dist/workers/models.js: the model readers in a worker thread, started by
// src/models/modelReader.ts (docs/architecture.md, "Readers off the host thread").
import { watchFileOpens } from '../../common/worker/fileOpens';
import { serveWorker } from '../../common/worker/serveWorker';
import { abStatistics } from '../compare/abStatsJob';
import { compareTwoInWorker, onnxArmsPredict } from '../compare/onnxArms';
import { readModelGraph } from '../graph/readGraph';
import { tensorStatistics } from '../graph/tensorStats';
import { UnitLayouts } from '../graph/unitLayout';
import { inspectModel } from '../inspectModel';
import type { ModelsWorkerApi } from '../modelReader';

watchFileOpens();
// The graph view's layouts, kept per unit while this worker lives: reopening a scope costs nothing.
const layouts = new UnitLayouts();
serveWorker<ModelsWorkerApi>({
  inspect: ({ path }) => inspectModel(path),
  graph: ({ path }) => readModelGraph(path),
  tensorStats: ({ path, tensor, maxBytes }) => tensorStatistics(path, tensor, maxBytes),
  layout: ({ units }) => layouts.layoutAll({ id: 0, units }).layouts,
  abStats: (input) => abStatistics(input),
  abOnnx: (input) => onnxArmsPredict(input),
  compareTwo: (input) => compareTwoInWorker(input),
});
