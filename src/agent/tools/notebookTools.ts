import * as z from 'zod/mini';
import { summariseNotebook } from './notebookSummary';
import { defineTool, ToolInputError } from './tool';

export const readNotebookTool = defineTool({
  name: 'read_notebook',
  description:
    'Read a Jupyter notebook (.ipynb): each cell with its index, type and source, and its outputs summarised ' +
    '(text head and tail, errors with the end of the traceback, images named with their size).',
  input: z.object({ path: z.string().check(z.minLength(1)) }),
  risk: 'read',
  async run(input, { files }) {
    if (!input.path.endsWith('.ipynb')) throw new ToolInputError(`${input.path} is not a notebook; use read_file.`);
    const { path, text } = await files.readText(input.path, 50 * 1024 * 1024);
    try {
      const summary = summariseNotebook(text, files.display(path));
      return { content: summary, summary: `Read notebook ${files.display(path)}` };
    } catch (error) {
      throw new ToolInputError((error as Error).message);
    }
  },
});
