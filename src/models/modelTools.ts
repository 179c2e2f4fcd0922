import type { Tool } from '../agent/tools/tool';
import { scaffoldDeploymentTool } from './deploy/deployTool';
import { exportModelTool } from './export/exportTool';
import { queryModelGraphTool } from './graph/graphTool';
import { inspectModelTool } from './modelTool';
import { optimizeModelTool } from './optimize/optimizeModel';
import { benchmarkModelTool } from './runtime/benchmarkTool';
import type { OrtModule } from './runtime/onnxRun';

export interface ModelToolDeps {
  /** onnxruntime, loaded on the first benchmark or optimization. */
  readonly ort: () => OrtModule;
  /** The user's Python, for exports and Python optimizers. */
  readonly python: () => Promise<string>;
  /** The folder the Python jobs run in (the workspace's first folder). */
  readonly cwd: () => string;
}

/** The models feature's agent tools, in the order every surface lists them (the chat, the MCP server, the headless agent). */
export function modelTools(deps: ModelToolDeps): Tool[] {
  return [inspectModelTool(), queryModelGraphTool(), scaffoldDeploymentTool(), optimizeModelTool(deps.ort, deps.python, deps.cwd), benchmarkModelTool(deps.ort), exportModelTool(deps.python, deps.cwd)];
}
