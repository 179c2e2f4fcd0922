// Entry of dist/lazy/models.js: the model reader's host side (the readers run in dist/workers/models.js),
// deploy scaffolds, the int8 quantizer and the agent's model tools, required when a model file
// opens, a model command runs or a conversation starts; never at activation (docs/architecture.md).
export { ModelFormatError } from '../fileWindow';
export { inspectModel } from '../inspectModel';
export { modelReader, stopModelReader } from '../modelReader';
export { inspectModelTool } from '../modelTool';
export { modelTools } from '../modelTools';
export { queryModelGraphTool } from '../graph/graphTool';
export { DEPLOY_TARGET_LABELS, DEPLOY_TARGETS, existingFiles, planDeployment, writeDeployment, type DeployTarget } from '../deploy/deployPlan';
export { scaffoldDeploymentTool } from '../deploy/deployTool';
export { optimizeAndCompare, optimizedPath, optimizeModelTool, optimizeReportPath, type Precision } from '../optimize/optimizeModel';
export { optimizeChoices, BUILT_IN, type OptimizeChoice } from '../optimize/optimizeChoices';
export { pythonOptimizers } from '../optimize/pythonOptimize';
export { benchmarkModelTool } from '../runtime/benchmarkTool';
export { benchmarkLine, benchmarkText } from '../runtime/benchmarkReport';
export { benchmarkOnnx, loadOrt, type OrtModule } from '../runtime/onnxRun';
export { exportedPath, exportTorchModel, parseShape, torchFileKind, type TorchExportTarget } from '../export/torchExport';
export { exportModelTool } from '../export/exportTool';
export { quantizeTorchModel, torchQuantizedPath } from '../optimize/torchQuantize';
export { describeSklearnCheck, exportSklearnModel, missingForSklearnExport, sklearnExportPath } from '../export/sklearnExport';
