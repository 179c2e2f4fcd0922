import { runCommandTool } from './commandTool';
import { createFileTool, proposeEditTool } from './editTools';
import { listFilesTool, readFileTool, searchWorkspaceTool } from './fileTools';
import { editNotebookCellTool, readNotebookTool } from './notebookTools';
import type { Tool } from './tool';
import type { ToolRegistry } from './toolRegistry';

/** The workspace tools every conversation has; features add their own elsewhere. */
export function registerWorkspaceTools(registry: ToolRegistry): void {
  const tools: Tool[] = [readFileTool, listFilesTool, searchWorkspaceTool, readNotebookTool, editNotebookCellTool, proposeEditTool, createFileTool, runCommandTool];
  for (const tool of tools) registry.register(tool);
}
