import { runCommandTool } from './commandTool';
import { createFileTool, proposeEditTool } from './editTools';
import { listFilesTool, readFileTool, searchWorkspaceTool } from './fileTools';
import { editNotebookCellTool, readNotebookTool } from './notebookTools';
import type { Tool } from './tool';
import type { ToolRegistry } from './toolRegistry';

/** The workspace tools every conversation has, in order; features add their own elsewhere (src/toolset/). */
export function workspaceTools(): Tool[] {
  return [readFileTool, listFilesTool, searchWorkspaceTool, readNotebookTool, editNotebookCellTool, proposeEditTool, createFileTool, runCommandTool];
}

export function registerWorkspaceTools(registry: ToolRegistry): void {
  for (const tool of workspaceTools()) registry.register(tool);
}
