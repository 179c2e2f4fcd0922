import { promises as fs } from 'node:fs';
import * as z from 'zod/mini';
import { defineTool, ToolInputError, type FileChange, type ToolContext } from './tool';

const editInput = z.object({
  path: z.string().check(z.minLength(1)),
  old_text: z.string().check(z.minLength(1)),
  new_text: z.string(),
});
type EditInput = z.infer<typeof editInput>;

async function previewEdit(input: EditInput, { files }: ToolContext): Promise<FileChange> {
  if (input.path.endsWith('.ipynb')) throw new ToolInputError('Notebooks are edited cell by cell, not as JSON; this tool edits text files only.');
  const { path, text } = await files.readText(input.path);
  files.checkWritable(path, input.path);
  const at = text.indexOf(input.old_text);
  if (at < 0) throw new ToolInputError(`old_text was not found in ${input.path}. Read the file again and copy the exact text, including indentation.`);
  if (text.indexOf(input.old_text, at + 1) >= 0) throw new ToolInputError(`old_text appears more than once in ${input.path}; include more surrounding lines so it is unique.`);
  const after = text.slice(0, at) + input.new_text + text.slice(at + input.old_text.length);
  return { path: files.display(path), absolutePath: path, before: text, after };
}

export const proposeEditTool = defineTool({
  name: 'propose_edit',
  description:
    'Propose a change to a text file: old_text (copied exactly from the file, unique in it) is replaced by new_text. ' +
    'The user sees the diff and accepts or rejects it. Read the file first.',
  input: editInput,
  risk: 'write',
  confirmation: (input) => `Edit ${input.path}`,
  preview: previewEdit,
  async run(input, context) {
    const change = await previewEdit(input, context);
    await context.applyChange(change);
    const removed = input.old_text.split('\n').length;
    const added = input.new_text.split('\n').length;
    return { content: `Edited ${change.path}: replaced ${removed} line(s) with ${added}.`, summary: `Edited ${change.path} (-${removed} +${added})` };
  },
});

const createInput = z.object({ path: z.string().check(z.minLength(1)), content: z.string() });
type CreateInput = z.infer<typeof createInput>;

async function previewCreate(input: CreateInput, { files }: ToolContext): Promise<FileChange> {
  const path = await files.resolveForWrite(input.path);
  if (await fs.lstat(path).then(() => true, () => false)) throw new ToolInputError(`${input.path} already exists; use propose_edit to change it.`);
  return { path: files.display(path), absolutePath: path, before: null, after: input.content };
}

export const createFileTool = defineTool({
  name: 'create_file',
  description: 'Create a new file in the workspace with the given content (refuses to overwrite: use propose_edit for existing files).',
  input: createInput,
  risk: 'write',
  confirmation: (input) => `Create ${input.path}`,
  preview: previewCreate,
  async run(input, context) {
    const change = await previewCreate(input, context);
    await context.applyChange(change);
    return { content: `Created ${change.path} (${input.content.split('\n').length} lines).`, summary: `Created ${change.path}` };
  },
});
