import * as vscode from 'vscode';
import type { FeatureHost } from '../../activation/featureHost';
import type { Tool, ToolContext } from '../../agent/tools/tool';
import { describeError } from '../../common/errors';
import { prepareToolInvocation, resultText } from '../lmToolCatalog';
import { LM_TOOLS, lmToolName } from '../lmToolNames';

/**
 * Our agent tools as VS Code language model tools (Copilot's agent mode, and any extension through
 * vscode.lm.invokeTool). Each comes from its feature's tools(), loaded on the first invocation;
 * the input is checked with the tool's own schema; write and execute tools ask first through
 * prepareInvocation's confirmation (what runs, on what), and in an untrusted workspace they refuse.
 */
export class LanguageModelTools {
  private readonly tools = new Map<string, Tool>();

  constructor(
    private readonly host: FeatureHost,
    private readonly context: () => ToolContext,
  ) {}

  /** The implementation behind one contributed tool (`mlEngineer_<name>`). */
  tool(lmName: string): vscode.LanguageModelTool<object> {
    return {
      prepareInvocation: async (options) => {
        const tool = this.find(lmName);
        const input = this.parse(tool, options.input);
        const prepared = await prepareToolInvocation(tool, input, this.context());
        return {
          invocationMessage: prepared.invocationMessage,
          ...(prepared.confirmation ? { confirmationMessages: { title: prepared.confirmation.title, message: new vscode.MarkdownString(prepared.confirmation.message) } } : {}),
        };
      },
      invoke: async (options, token) => {
        const tool = this.find(lmName);
        const input = this.parse(tool, options.input);
        if (tool.risk !== 'read' && !vscode.workspace.isTrusted) throw new Error(`${tool.name} ${tool.risk === 'write' ? 'changes files' : 'runs code'}; this workspace is not trusted, so only reading tools run here.`);
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => controller.abort());
        try {
          // A write tool applies its change itself, through context.applyChange (a WorkspaceEdit: undo, open buffers).
          const result = await tool.run(input, this.context(), controller.signal);
          return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(resultText(result))]);
        } catch (error) {
          // The model reads the message: say what was wrong so it can correct the call.
          throw new Error(`${tool.name} failed: ${describeError(error)}`, { cause: error });
        } finally {
          subscription.dispose();
        }
      },
    };
  }

  private find(lmName: string): Tool {
    const cached = this.tools.get(lmName);
    if (cached) return cached;
    const entry = LM_TOOLS.find((t) => lmToolName(t.name) === lmName);
    if (!entry) throw new Error(`ML Engineer has no tool named ${lmName}`);
    const tool = this.host.load(entry.feature, `Copilot called ${entry.name}`).tools().find((t) => t.name === entry.name);
    if (!tool) throw new Error(`the ${entry.feature} feature offers no ${entry.name} tool`);
    this.tools.set(lmName, tool);
    return tool;
  }

  private parse(tool: Tool, raw: unknown): unknown {
    const parsed = tool.input.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw new Error(`Invalid input for ${tool.name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
  }
}
