/**
 * A tool input problem the model can fix: returned to it as an is_error result. Its own file so
 * that workspaceFiles.ts can throw it without importing tool.ts, which imports WorkspaceFiles.
 */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
}
