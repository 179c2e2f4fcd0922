import * as z from 'zod/mini';
import { summariseNotebook, summariseNotebookContent } from './notebookSummary';
import { defineTool, ToolInputError, type FileChange, type ToolContext } from './tool';

export const readNotebookTool = defineTool({
  name: 'read_notebook',
  description:
    'Read a Jupyter notebook (.ipynb): each cell with its index, type and source, and its outputs summarised ' +
    '(text head and tail, errors with the end of the traceback, images named with their size). ' +
    'A notebook open in the editor is read as it is there, unsaved changes included: the cells edit_notebook_cell changes. ' +
    'A long notebook is read in parts: the answer then says which start_cell to read on from.',
  input: z.object({ path: z.string().check(z.minLength(1)), start_cell: z.optional(z.int().check(z.minimum(0))) }),
  risk: 'read',
  async run(input, { files, notebooks }) {
    if (!input.path.endsWith('.ipynb')) throw new ToolInputError(`${input.path} is not a notebook; use read_file.`);
    const absolutePath = await files.resolve(input.path);
    const shown = files.display(absolutePath);
    const open = await notebooks?.readOpen?.(absolutePath);
    const options = { startCell: input.start_cell ?? 0 };
    if (open) return { content: summariseNotebookContent(open, shown, options), summary: `Read notebook ${shown}${open.unsaved ? ' (unsaved changes included)' : ''}` };
    const { text } = await files.readText(input.path, 50 * 1024 * 1024);
    try {
      return { content: summariseNotebook(text, shown, options), summary: `Read notebook ${shown}` };
    } catch (error) {
      throw new ToolInputError((error as Error).message);
    }
  },
});

const cellEditInput = z.object({
  path: z.string().check(z.minLength(1)),
  cell_index: z.int().check(z.minimum(0)),
  /** replace: the cell's source becomes new_source; insert: a new cell at cell_index. */
  mode: z.enum(['replace', 'insert']),
  new_source: z.string(),
  cell_type: z.optional(z.enum(['code', 'markdown'])),
});
type CellEditInput = z.infer<typeof cellEditInput>;

async function previewCellEdit(input: CellEditInput, { files, notebooks }: ToolContext): Promise<FileChange> {
  if (!notebooks) throw new ToolInputError('Notebooks can only be edited inside the editor.');
  if (!input.path.endsWith('.ipynb')) throw new ToolInputError(`${input.path} is not a notebook; use propose_edit.`);
  const absolutePath = await files.resolveForWrite(input.path);
  let cells;
  try {
    cells = await notebooks.read(absolutePath);
  } catch (error) {
    throw new ToolInputError(`${input.path} could not be opened as a notebook: ${(error as Error).message}`);
  }
  const limit = input.mode === 'insert' ? cells.length : cells.length - 1;
  if (input.cell_index > limit) throw new ToolInputError(`${input.path} has ${cells.length} cells (0-${cells.length - 1}); cell_index ${input.cell_index} is out of range.`);
  const cell = input.mode === 'replace' ? cells[input.cell_index] : undefined;
  const language = cell?.language ?? (input.cell_type === 'markdown' ? 'markdown' : 'python');
  return {
    path: files.display(absolutePath),
    absolutePath,
    before: cell ? cell.source : null,
    after: input.new_source,
    cell: { index: input.cell_index, language },
  };
}

export const editNotebookCellTool = defineTool({
  name: 'edit_notebook_cell',
  description:
    'Change a Jupyter notebook cell by cell: mode "replace" sets the source of cell cell_index (0-based, as read_notebook numbers them); ' +
    'mode "insert" adds a new cell (cell_type code or markdown) at cell_index. Outputs of other cells are kept. The user sees the change and approves it.',
  input: cellEditInput,
  risk: 'write',
  confirmation: (input) => `${input.mode === 'insert' ? 'Insert a cell at' : 'Edit cell'} ${input.cell_index} of ${input.path}`,
  preview: previewCellEdit,
  async run(input, context) {
    const change = await previewCellEdit(input, context);
    const notebooks = context.notebooks!;
    if (input.mode === 'replace') await notebooks.replaceCell(change.absolutePath, input.cell_index, input.new_source);
    else await notebooks.insertCell(change.absolutePath, input.cell_index, input.cell_type ?? 'code', input.new_source);
    return {
      content: `${input.mode === 'insert' ? 'Inserted a cell at' : 'Replaced cell'} ${input.cell_index} of ${change.path}.`,
      summary: `${input.mode === 'insert' ? 'Inserted cell' : 'Edited cell'} ${input.cell_index} of ${change.path}`,
    };
  },
});
