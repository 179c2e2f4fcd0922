import type * as z from 'zod/mini';
import type { WorkspaceFiles } from './workspaceFiles';

/** read: runs freely. write: changes files. execute: runs code or commands. The last two ask first. */
export type ToolRisk = 'read' | 'write' | 'execute';

export interface ToolResult {
  /** What the model reads. */
  readonly content: string;
  readonly isError?: boolean;
  /** One line for the tool card in the chat. */
  readonly summary: string;
}

/** A proposed change to one file, shown to the user as a diff before it is approved. */
export interface FileChange {
  readonly path: string;
  readonly absolutePath: string;
  /** null: the file does not exist yet. */
  readonly before: string | null;
  readonly after: string;
}

export interface ToolContext {
  readonly files: WorkspaceFiles;
  /** Applies an approved change. The editor adapter uses a WorkspaceEdit (undo, open buffers). */
  applyChange(change: FileChange): Promise<void>;
}

/**
 * A tool the agent can call. Features add theirs to the registry (kernels, experiments, GPUs,
 * models). The input schema is validated before run() and sent to the API as JSON Schema.
 */
export interface Tool<Input = unknown> {
  /** Stable snake_case: the model sees it. */
  readonly name: string;
  /** What it does and when to use it, written for the model. */
  readonly description: string;
  readonly input: z.ZodMiniType<Input>;
  readonly risk: ToolRisk;
  /** What the approval card says (write and execute tools). */
  confirmation?(input: Input): string;
  /** For write tools: the change, computed without writing, so the user can see the diff. */
  preview?(input: Input, context: ToolContext): Promise<FileChange>;
  run(input: Input, context: ToolContext, signal: AbortSignal): Promise<ToolResult>;
}

/** A tool input problem the model can fix: returned to it as an is_error result. */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
}

export function defineTool<Input>(tool: Tool<Input>): Tool<Input> {
  return tool;
}
