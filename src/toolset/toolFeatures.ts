/**
 * The features that give the agent tools, in the order every surface lists them after the
 * workspace tools: the chat (src/chat/vscode/chatFeature.ts), the MCP server and the headless
 * agent (folderToolset.ts). One list, so the surfaces cannot drift apart.
 */
export const TOOL_FEATURES = ['gpu', 'kernels', 'tracking', 'models', 'data', 'serving', 'modelCard', 'jobs'] as const;

export type ToolFeature = (typeof TOOL_FEATURES)[number];
