import type { Tool, ToolResult } from '../agent/tools/tool';

/** The features whose agent tools Copilot gets, by the feature that owns each (src/activation/featureTable.ts). */
export type ToolFeature = 'models' | 'tracking' | 'gpu' | 'data' | 'kernels';

/**
 * Our tools as language model tools for Copilot's agent mode: 15 of the features' agent tools
 * (Copilot refuses a request with more than 128 tools in all, vscode#253769, so we offer what
 * only we have). Left out: interrupt_kernel and restart_kernel (the notebook's own toolbar and
 * Copilot's notebook tools do that), query_dataset (kept out of our own chat too, dataFeature.ts),
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

export interface PreparedInvocation {
  /** Shown while it runs. */
  readonly invocationMessage: string;
  /** Asked before writes and execution: what runs, on what. Absent for read tools. */
  readonly confirmation?: { readonly title: string; readonly message: string };
}

const VERB = { write: 'changes files', execute: 'runs code' } as const;

/**
 * What Copilot shows before and while a tool runs. Write and execute tools always ask (VS Code
 * offers "allow for this session" itself); the message says what will run: the tool's own
 * confirmation line, the file it would write and, for code, the code itself.
 */
export function prepareInvocation(tool: Tool, input: unknown, change?: { path: string; before: string | null }): PreparedInvocation {
  const line = tool.confirmation?.(input) ?? tool.name;
  if (tool.risk === 'read') return { invocationMessage: `ML Engineer: ${line}` };
  const code = typeof (input as { code?: unknown } | null)?.code === 'string' ? (input as { code: string }).code : undefined;
  const details = [
    `**${line}**`,
    `This ${VERB[tool.risk]}${tool.risk === 'execute' ? ' on your machine' : ' in your workspace'}.`,
    ...(change ? [`${change.before === null ? 'Creates' : 'Changes'} \`${change.path}\`.`] : []),
    ...(code ? [`\`\`\`python\n${code.length > 4000 ? `${code.slice(0, 4000)}\n# … (${code.length - 4000} more characters)` : code}\n\`\`\``] : []),
  ];
  return { invocationMessage: `ML Engineer: ${line}`, confirmation: { title: `ML Engineer: ${tool.name.replace(/_/g, ' ')}`, message: details.join('\n\n') } };
}

/** A tool result as the text part Copilot's model reads (images named: a text part cannot carry them). */
export function resultText(result: ToolResult): string {
  const images = result.images?.length ? `\n\n(${result.images.length} image${result.images.length === 1 ? '' : 's'} not shown here: open them in the editor.)` : '';
  return `${result.isError ? 'Error: ' : ''}${result.content}${images}`;
}
