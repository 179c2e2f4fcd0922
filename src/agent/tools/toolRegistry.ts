import * as z from 'zod/mini';
import type { Tool, ToolRisk } from './tool';

export interface ApiTool {
  name: string;
  description: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

/** The tools the agent may call. Features register theirs at activation. */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  register(tool: Tool): void {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(tool.name)) throw new Error(`tool name ${tool.name} must be snake_case`);
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    this.tools.set(tool.name, tool);
  }

  get(name: string): Tool | undefined {
    return this.tools.get(name);
  }

  /** In an untrusted workspace only read tools exist. */
  available(trusted: boolean): Tool[] {
    return [...this.tools.values()].filter((t) => trusted || t.risk === 'read');
  }

  static toApi(tools: readonly Tool[]): ApiTool[] {
    return tools.map((tool) => {
      const schema = z.toJSONSchema(tool.input, { io: 'input' }) as Record<string, unknown>;
      delete schema.$schema;
      return { name: tool.name, description: tool.description, input_schema: { ...schema, type: 'object' } };
    });
  }
}

export function riskLabel(risk: ToolRisk): string {
  return risk === 'read' ? 'reads' : risk === 'write' ? 'changes files' : 'runs code';
}
