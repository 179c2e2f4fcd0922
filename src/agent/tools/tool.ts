import type * as z from 'zod/mini';
import type { NotebookContent } from './notebookSummary';
import type { WorkspaceFiles } from './workspaceFiles';

/** read: runs freely. write: changes files. execute: runs code or commands. The last two ask first. */
export type ToolRisk = 'read' | 'write' | 'execute';

export interface ToolResult {
  /** What the model reads. */
  readonly content: string;
  readonly isError?: boolean;
  /** One line for the tool card in the chat. */
  readonly summary: string;
  /** Images the model should see (a plot from the kernel), sent as image blocks beside the text. */
  readonly images?: readonly ToolImage[];
}

export interface ToolImage {
  readonly mediaType: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  /** Base64, no data: prefix. */
  readonly data: string;
}

/** A proposed change to one file (or one notebook cell), shown to the user as a diff before it is approved. */
export interface FileChange {
  readonly path: string;
  readonly absolutePath: string;
  /** null: the file (or cell) does not exist yet. */
  readonly before: string | null;
  readonly after: string;
  /** Set for a notebook cell: the diff compares cell sources, not files. */
  readonly cell?: { readonly index: number; readonly language: string };
}

/** Notebook edits go through the editor's notebook API, cell by cell, never as raw JSON. */
export interface NotebookCells {
  /** The cells as the editor has them (open buffers included). */
  read(absolutePath: string): Promise<readonly { kind: 'code' | 'markdown'; language: string; source: string }[]>;
  replaceCell(absolutePath: string, index: number, source: string): Promise<void>;
  insertCell(absolutePath: string, index: number, kind: 'code' | 'markdown', source: string): Promise<void>;
  /**
   * The notebook as its open editor holds it (unsaved edits, outputs), for read_notebook, so it
   * reads what edit_notebook_cell edits; undefined when it is not open (the file is read then).
   */
  readOpen?(absolutePath: string): Promise<NotebookContent | undefined>;
}

export interface ToolContext {
  readonly files: WorkspaceFiles;
  /** Applies an approved change. The editor adapter uses a WorkspaceEdit (undo, open buffers). */
  applyChange(change: FileChange): Promise<void>;
  /** Present inside the editor; absent in plain Node, where notebook edits are refused. */
  readonly notebooks?: NotebookCells;
  /** The ripgrep binary for list_files and search_workspace: VS Code's own in the editor (findRipgrep); `rg` on PATH when absent. */
  readonly ripgrep?: string;
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
  /** A write that changes something other than the workspace's files, in words ("changes the model registry: …"). */
  readonly changes?: string;
  /** What the approval card says (write and execute tools). */
  confirmation?(input: Input): string;
  /**
   * What "Allow for this chat" covers besides the tool's name. Tools that load or run a file
   * return its identity (WorkspaceFiles.identity: real path, size, times), so a later call on
   * another file, or on this one changed, is asked again. Without it the tool's name covers all calls.
   */
  approvalScope?(input: Input, context: ToolContext): Promise<string>;
  /** The card approvalScope was worked out for was declined or cancelled: forget what it kept for run(). */
  declined?(input: Input, context: ToolContext): void;
  /** For write tools: the change, computed without writing, so the user can see the diff. */
  preview?(input: Input, context: ToolContext): Promise<FileChange>;
  run(input: Input, context: ToolContext, signal: AbortSignal): Promise<ToolResult>;
}

export { isToolInputError, ToolInputError } from './toolInputError';

export function defineTool<Input>(tool: Tool<Input>): Tool<Input> {
  return tool;
}
