// On the activation path (the stand-ins register these names): names only, nothing else.

/** The features whose agent tools Copilot gets, by the feature that owns each (src/activation/featureTable.ts). */
export type ToolFeature = 'models' | 'tracking' | 'gpu' | 'data' | 'kernels';

/**
 * Our tools as language model tools for Copilot's agent mode: 16 of the features' agent tools
 * (Copilot refuses a request with more than 128 tools in all, vscode#253769, so we offer what
 * only we have; promote_model_version's reads, list_registered_models and preview_promotion, come
 * with the MCP server VS Code gets from us). Left out: interrupt_kernel and restart_kernel (the notebook's own toolbar and
 * Copilot's notebook tools do that), query_dataset (a 17th; our own chat, @ml and MCP have it),
 * and the workspace file tools (Copilot has its own). package.json's languageModelTools lists
 * exactly these, with the same input schemas (test/unit/lmToolCatalog.test.ts checks).
 */
export const LM_TOOLS: readonly { readonly name: string; readonly feature: ToolFeature }[] = [
  { name: 'inspect_model', feature: 'models' },
  { name: 'query_model_graph', feature: 'models' },
  { name: 'benchmark_model', feature: 'models' },
  { name: 'optimize_model', feature: 'models' },
  { name: 'export_model', feature: 'models' },
  { name: 'scaffold_deployment', feature: 'models' },
  { name: 'list_runs', feature: 'tracking' },
  { name: 'compare_runs', feature: 'tracking' },
  { name: 'metric_history', feature: 'tracking' },
  { name: 'promote_model_version', feature: 'tracking' },
  { name: 'gpu_status', feature: 'gpu' },
  { name: 'describe_dataset', feature: 'data' },
  { name: 'kernel_state', feature: 'kernels' },
  { name: 'kernel_variables', feature: 'kernels' },
  { name: 'run_in_kernel', feature: 'kernels' },
  { name: 'wait_for_execution', feature: 'kernels' },
];

/** The language model tool's name: ours with a prefix, so it cannot clash with another extension's. */
export function lmToolName(name: string): string {
  return `mlEngineer_${name}`;
}

/** The tool set's name in Copilot's tools picker and its #reference. */
export const LM_TOOL_SET = 'mlEngineer';
