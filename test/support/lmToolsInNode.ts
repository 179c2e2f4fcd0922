import type { Tool } from '../../src/agent/tools/tool';
import { describeDatasetTool } from '../../src/data/dataTools';
import { gpuStatusTool } from '../../src/gpu/gpuStatusTool';
import { kernelTools } from '../../src/kernels/kernelTools';
import { scaffoldDeploymentTool } from '../../src/models/deploy/deployTool';
import { exportModelTool } from '../../src/models/export/exportTool';
import { queryModelGraphTool } from '../../src/models/graph/graphTool';
import { inspectModelTool } from '../../src/models/modelTool';
import { optimizeModelTool } from '../../src/models/optimize/optimizeModel';
import { benchmarkModelTool } from '../../src/models/runtime/benchmarkTool';
import { registryPromoteTools } from '../../src/tracking/registry/registryTools';
import { trackingTools } from '../../src/tracking/trackingTools';

const unused = (): never => {
  throw new Error('only the definition is read here');
};

/**
 * The features' agent tools as their definitions (name, description, schema, risk), made in plain
 * Node with inert dependencies: enough to compare package.json's languageModelTools with them.
 */
export function featureToolDefinitions(): Tool[] {
  return [
    inspectModelTool(),
    queryModelGraphTool(),
    scaffoldDeploymentTool(),
    optimizeModelTool(unused, unused, unused),
    benchmarkModelTool(unused),
    exportModelTool(unused, unused),
    ...trackingTools({} as never, () => Promise.resolve()),
    ...registryPromoteTools({ registries: unused, runs: unused, promote: unused }),
    gpuStatusTool(unused),
    describeDatasetTool(unused),
    ...kernelTools({} as never, {} as never),
  ] as Tool[];
}
