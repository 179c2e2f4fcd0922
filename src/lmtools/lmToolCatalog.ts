import type { Tool, ToolContext, ToolResult } from '../agent/tools/tool';

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
    `This ${tool.changes ?? `${VERB[tool.risk]}${tool.risk === 'execute' ? ' on your machine' : ' in your workspace'}`}.`,
    ...(change ? [`${change.before === null ? 'Creates' : 'Changes'} \`${change.path}\`.`] : []),
    ...(code ? [`\`\`\`python\n${code.length > 4000 ? `${code.slice(0, 4000)}\n# … (${code.length - 4000} more characters)` : code}\n\`\`\``] : []),
  ];
  return { invocationMessage: `ML Engineer: ${line}`, confirmation: { title: `ML Engineer: ${tool.name.replace(/_/g, ' ')}`, message: details.join('\n\n') } };
}

/**
 * prepareInvocation for a call as Copilot makes it, after what the chat's session does before its
 * card: the change a write tool would make (its diff's path), and approvalScope, where a tool may
 * work out its confirmation line (promote_model_version reads the registry for the version that
 * holds the alias or stage now). Either failing only makes the confirmation say less: the run
 * reports the error itself.
 */
export async function prepareToolInvocation(tool: Tool, input: unknown, context: ToolContext): Promise<PreparedInvocation> {
  if (tool.risk === 'read') return prepareInvocation(tool, input);
  const [change] = await Promise.all([
    tool.preview?.(input, context).catch(() => undefined),
    tool.approvalScope?.(input, context).catch(() => undefined),
  ]);
  return prepareInvocation(tool, input, change);
}

/** A tool result as the text part Copilot's model reads (images named: a text part cannot carry them). */
export function resultText(result: ToolResult): string {
  const images = result.images?.length ? `\n\n(${result.images.length} image${result.images.length === 1 ? '' : 's'} not shown here: open them in the editor.)` : '';
  return `${result.isError ? 'Error: ' : ''}${result.content}${images}`;
}
