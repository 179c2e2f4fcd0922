/**
 * A tool input problem the model can fix: returned to it as an is_error result. Its own file so
 * that workspaceFiles.ts can throw it without importing tool.ts, which imports WorkspaceFiles.
 */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
}

/**
 * Also true for a ToolInputError thrown by a feature's tool: each feature is a bundle of its own
 * (dist/features/, dist/lazy/models.js) with its own copy of the class, so `instanceof` misses it.
 */
export function isToolInputError(value: unknown): value is ToolInputError {
  return value instanceof ToolInputError || (value instanceof Error && value.name === 'ToolInputError');
}
