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
});
