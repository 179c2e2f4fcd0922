import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIpynb, summariseNotebookContent, type NotebookContent } from '../../src/agent/tools/notebookSummary';
import { readNotebookTool } from '../../src/agent/tools/notebookTools';
import type { NotebookCells, ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';

const fixtures = join(__dirname, '../fixtures/notebooks');

/** The editor side, standing in for the adapter: notebooks "open" with what their buffers hold. */
function editorWith(open: Map<string, NotebookContent>): NotebookCells {
  const refuse = (): Promise<never> => Promise.reject(new Error('not used here'));
  return { read: refuse, replaceCell: refuse, insertCell: refuse, readOpen: (path) => Promise.resolve(open.get(path)) };
}

describe('read_notebook reads what edit_notebook_cell edits', () => {
  let ws: string;
  let path: string;
  const never = new AbortController().signal;

  before(() => {
    ws = mkdtempSync(join(tmpdir(), 'mle-nb-'));
    path = join(ws, 'quickstart.ipynb');
    writeFileSync(path, readFileSync(join(fixtures, 'onnx__quickstart__error-output.ipynb')));
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  const context = (notebooks?: NotebookCells): ToolContext => ({ files: new WorkspaceFiles([{ name: 'ws', path: ws }]), applyChange: () => Promise.resolve(), ...(notebooks ? { notebooks } : {}) });

  it('reads the open notebook, with a cell added and not saved, and says so', async () => {
    const onDisk = parseIpynb(readFileSync(path, 'utf8'), 'quickstart.ipynb');
    const added = { kind: 'code', source: 'print("added in the editor, not saved")', outputs: [] };
    const open: NotebookContent = { ...onDisk, unsaved: true, cells: [added, ...onDisk.cells] };
    const result = await readNotebookTool.run({ path: 'quickstart.ipynb' }, context(editorWith(new Map([[path, open]]))), never);
    assert.match(result.content, /^quickstart\.ipynb: 22 cells, kernel Python 3 \(ipykernel\) \(as open in the editor, with changes not saved yet\)\n/);
    assert.match(result.content, /--- cell 0 \(code\)\nprint\("added in the editor, not saved"\)\n/);
    assert.match(result.content, /error \w+(Error|Exception)/, 'the outputs of the open document are summarised too');
    assert.equal(result.summary, 'Read notebook quickstart.ipynb (unsaved changes included)');
    assert.doesNotMatch(readFileSync(path, 'utf8'), /added in the editor/, 'nothing was written');
  });

  it('reads the file when the notebook is not open, or outside the editor', async () => {
    const fromFile = summariseNotebookContent(parseIpynb(readFileSync(path, 'utf8'), 'quickstart.ipynb'), 'quickstart.ipynb');
    for (const notebooks of [editorWith(new Map()), undefined]) {
      const result = await readNotebookTool.run({ path: 'quickstart.ipynb' }, context(notebooks), never);
      assert.equal(result.content, fromFile);
      assert.match(result.content, /^quickstart\.ipynb: 21 cells, kernel Python 3 \(ipykernel\)\n/);
    }
  });

  it('sizes images by their bytes, as the editor holds them, not by their base64 text', () => {
    const text = readFileSync(join(fixtures, 'tensorboard-reducer__functorch_mlp_ensemble.ipynb'), 'utf8');
    const notebook = JSON.parse(text) as { cells: { outputs?: { data?: Record<string, string> }[] }[] };
    const png = notebook.cells.flatMap((c) => c.outputs ?? []).find((o) => o.data?.['image/png'])!.data!['image/png']!;
    const bytes = Buffer.from(png, 'base64').length;
    const items = parseIpynb(text, 'x.ipynb').cells.flatMap((c) => c.outputs).flatMap((o) => (o.type === 'data' ? o.items : []));
    assert.equal(items.find((i) => i.mime === 'image/png')!.bytes, bytes);
  });

  const readNotebook = async (name: string, notebook: unknown, startCell?: number): Promise<string> => {
    writeFileSync(join(ws, name), JSON.stringify(notebook));
    return (await readNotebookTool.run({ path: name, ...(startCell !== undefined ? { start_cell: startCell } : {}) }, context(), never)).content;
  };

  it('reads a damaged notebook cell by cell: a bad cell or output costs that part, not the whole notebook', async () => {
    const content = await readNotebook('damaged.ipynb', {
      cells: [
        null,
        { cell_type: 'code', source: ['a = 1', 7, null, '\nprint(a)'], outputs: { not: 'a list' } },
        { cell_type: { bad: 1 }, source: { bad: 1 }, outputs: [null, 3, { output_type: 'error', ename: 'ValueError', evalue: 'x', traceback: 'not a list' }, { output_type: 'stream', text: { bad: 1 } }] },
        { cell_type: 'code', source: 'print("fine")', execution_count: '3', outputs: [{ output_type: 'stream', name: 'stdout', text: ['fine\n'] }, { output_type: 'display_data', data: ['not', 'a map'] }] },
      ],
    });
    assert.equal(
      content,
      'damaged.ipynb: 4 cells\n\n--- cell 0 (unknown)\n\n\n--- cell 1 (code)\na = 1\nprint(a)\n\n--- cell 2 (unknown)\n\n--- outputs of cell 2\nerror ValueError: x\nstdout:\n\n--- cell 3 (code)\nprint("fine")\n--- outputs of cell 3\nstdout: fine',
    );
  });

  it('reads a long notebook in parts of at most 200,000 characters, a huge cell cut, and says where to go on', async () => {
    const cells = Array.from({ length: 400 }, (_, i) => ({ cell_type: 'code', source: `# cell ${i}\n${'x = 1\n'.repeat(200)}`, outputs: [{ output_type: 'stream', name: 'stdout', text: 'y'.repeat(1000) }] }));
    cells[1]!.source = `# pasted data\n${'1,2,3\n'.repeat(1_000_000)}# end of data`;
    const first = await readNotebook('long.ipynb', { cells });
    assert.ok(first.length <= 200_000, `${first.length} characters`);
    assert.match(first, /--- cell 1 \(code\)\n# pasted data\n[\s\S]*\[… 5980027 characters cut …\]\n[\s\S]*# end of data\n--- outputs of cell 1/);
    const next = /\[cells (\d+)-399 not shown: read them with start_cell \1\]$/.exec(first);
    assert.ok(next, first.slice(-200));
    const second = await readNotebook('long.ipynb', { cells }, Number(next[1]));
    assert.match(second, new RegExp(`^long\\.ipynb: 400 cells\\n\\n--- cell ${next[1]} \\(code\\)\\n# cell ${next[1]}\\n`));
    assert.match(await readNotebook('long.ipynb', { cells }, 400), /\[there is no cell 400: the cells are 0-399\]$/);
  });
});
