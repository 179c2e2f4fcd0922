import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { Tool, ToolContext, ToolRisk } from '../agent/tools/tool';
import { isToolInputError } from '../agent/tools/tool';
import { ToolRegistry } from '../agent/tools/toolRegistry';
import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';

export interface McpServerOptions {
  /** Write tools (create_file, propose_edit, scaffold_deployment, optimize_model...) are served only with this. */
  readonly allowWrite: boolean;
  /** Execute tools (run_command, run_in_kernel, export_model...) are served only with this. */
  readonly allowExecute: boolean;
  readonly version: string;
  /** The longest one kernel call waits before it answers with an execution_id (seconds), said in the instructions. */
  readonly waitBudgetSeconds: number;
  readonly log: Logger;
}

/**
 * A result's text past this many characters keeps its head and tail: the tools already size their
 * output (summaries, downsampled curves, top-k runs), this only bounds what one call can cost a client.
 */
export const MAX_RESULT_CHARS = 24_000;

const FLAG: Record<Exclude<ToolRisk, 'read'>, string> = { write: '--allow-write', execute: '--allow-execute' };

/**
 * The folder's agent tools as an MCP server. The low-level SDK Server, not McpServer: our tools
 * carry their own zod schemas, validated here exactly as the agent session validates them, and
 * their JSON Schema is the one the chat sends (ToolRegistry.toApi); and a tool this server was not
 * allowed to serve must be refused by name with the flag that allows it, not as an unknown tool.
 */
export function createMcpServer(toolset: { readonly tools: readonly Tool[]; readonly context: ToolContext }, options: McpServerOptions): Server {
  const allowed = (tool: Tool): boolean => tool.risk === 'read' || (tool.risk === 'write' ? options.allowWrite : options.allowExecute);
  const served = toolset.tools.filter(allowed);
  const listing: McpTool[] = ToolRegistry.toApi(served).map((api, i) => ({
    name: api.name,
    description: api.description,
    inputSchema: api.input_schema,
    annotations: annotationsFor(served[i]!.risk),
  }));
  const server = new Server(
    { name: 'ml-engineer', version: options.version },
    {
      capabilities: { tools: {} },
      instructions:
        "ML Engineer's tools for one workspace folder: files, experiment runs, model files, datasets, GPUs and a Jupyter kernel. " +
        `A kernel call answers within ${options.waitBudgetSeconds} s: longer work returns an execution_id; follow it with wait_for_execution (each call waits at most ${options.waitBudgetSeconds} s and returns only the output that is new).` +
        (options.allowWrite && options.allowExecute ? '' : ` Not served (start with ${[options.allowWrite ? '' : FLAG.write, options.allowExecute ? '' : FLAG.execute].filter(Boolean).join(' and ')}): ${toolset.tools.filter((t) => !allowed(t)).map((t) => t.name).join(', ')}.`),
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const tool = toolset.tools.find((t) => t.name === name);
    if (!tool) return failure(`There is no tool named ${name} here. Available: ${served.map((t) => t.name).join(', ')}.`);
    if (!allowed(tool)) {
      const what = tool.risk === 'write' ? 'changes files' : 'runs code';
      return failure(`${name} ${what}: this server was started without ${FLAG[tool.risk as Exclude<ToolRisk, 'read'>]}, so it is refused. The user can restart the server with that flag to allow it.`);
    }
    const parsed = tool.input.safeParse(request.params.arguments ?? {});
    if (!parsed.success) return failure(`Invalid input for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
    try {
      const outcome = await tool.run(parsed.data, toolset.context, extra.signal);
      return {
        content: [{ type: 'text', text: bounded(outcome.content) }, ...(outcome.images ?? []).map((image) => ({ type: 'image' as const, data: image.data, mimeType: image.mediaType }))],
        ...(outcome.isError ? { isError: true } : {}),
      };
    } catch (error) {
      // By name: a feature's tools may throw another bundle's copy of ToolInputError.
      if (isToolInputError(error)) return failure(error.message);
      options.log.error(`tool ${name} failed: ${describeError(error)}`);
      return failure(`${name} failed: ${describeError(error)}`);
    }
  });
  return server;
}

function failure(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function bounded(text: string): string {
  if (text.length <= MAX_RESULT_CHARS) return text;
  const half = Math.floor(MAX_RESULT_CHARS / 2);
  return `${text.slice(0, half)}\n… ${text.length - 2 * half} characters left out …\n${text.slice(-half)}`;
}

function annotationsFor(risk: ToolRisk): McpTool['annotations'] {
  // Writes may replace a file's text and runs may do anything: both keep the spec's default, destructive.
  return risk === 'read' ? { readOnlyHint: true, openWorldHint: false } : { readOnlyHint: false, openWorldHint: false };
}
