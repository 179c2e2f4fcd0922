import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTool, proposeEditTool } from '../../src/agent/tools/editTools';
import { editNotebookCellTool } from '../../src/agent/tools/notebookTools';
import type { Tool, ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { scaffoldDeploymentTool } from '../../src/models/deploy/deployTool';
import { planDeployment, writeDeployment } from '../../src/models/deploy/deployPlan';
import { exportModelTool } from '../../src/models/export/exportTool';
import { inspectModel } from '../../src/models/inspectModel';
import { optimizeModelTool } from '../../src/models/optimize/optimizeModel';
import { loadOrt } from '../../src/models/runtime/onnxRun';
import { lastToolResults } from '../support/fakeMessagesApi';
import { startHarness } from './agentHarness';

// The agent's write tools against symbolic links planted in a real workspace: a dangling link
// (which "does not exist" to stat, so create_file used to write through it), a link to a file
// outside, a link to a file inside, a linked folder. Every write tool refuses any link on the
// path, and the file the link points to is never written.

const examples = join(__dirname, '..', '..', 'examples');

describe('Write tools never write through symbolic links', function () {
  this.timeout(60_000);
  let root: string;
  let ws: string;
  let outside: string;
  let context: ToolContext;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mle-writes-'));
    ws = join(root, 'ws');
    outside = join(root, 'outside');
    mkdirSync(join(ws, 'real'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'bashrc'), 'original\n');
    writeFileSync(join(ws, 'real', 'train.py'), 'lr = 0.1\n');
    writeFileSync(join(ws, 'real', 'nb.ipynb'), JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    symlinkSync(join(outside, 'created-by-agent.py'), join(ws, 'dangling.py')); // its target does not exist
    symlinkSync(join(outside, 'bashrc'), join(ws, 'bashrc-link'));
    symlinkSync(join(ws, 'real', 'train.py'), join(ws, 'inside-link.py'));
    symlinkSync(join(ws, 'real'), join(ws, 'alias'));
    symlinkSync(outside, join(ws, 'out-dir'));
    mkdirSync(join(ws, 'models'));
    for (const f of ['simple_cnn.onnx', 'simple_cnn.onnx.data']) copyFileSync(join(examples, 'models', f), join(ws, 'models', f));
    const files = new WorkspaceFiles([{ name: 'ws', path: ws }]);
    context = { files, applyChange: (change) => files.writeTextAtomic(change.absolutePath, change.after) };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const outsideUntouched = (): void => {
    assert.deepEqual(readdirSync(outside).sort(), ['bashrc']);
    assert.equal(readFileSync(join(outside, 'bashrc'), 'utf8'), 'original\n');
  };
  async function refused<I>(tool: Tool<I>, input: I, why: RegExp): Promise<void> {
    if (tool.preview) await assert.rejects(tool.preview(input, context), why, `${tool.name} preview`);
    await assert.rejects(tool.run(input, context, new AbortController().signal), why, `${tool.name} run`);
  }

  it('create_file: a dangling link, a link to a file outside, a linked folder inside and outside', async () => {
    await refused(createFileTool, { path: 'dangling.py', content: 'x' }, /dangling\.py goes through a symbolic link \(dangling\.py\)/);
    await refused(createFileTool, { path: 'alias/new.py', content: 'x' }, /goes through a symbolic link \(alias\)/);
    await refused(createFileTool, { path: 'out-dir/new.py', content: 'x' }, /outside the workspace through a symbolic link/);
    await refused(createFileTool, { path: 'bashrc-link', content: 'x' }, /symbolic link/);
    assert.equal(existsSync(join(ws, 'real', 'new.py')), false);
    outsideUntouched();
    // A plain new file (and new folders) still works.
    await createFileTool.run({ path: 'src/new.py', content: 'ok\n' }, context, new AbortController().signal);
    assert.equal(readFileSync(join(ws, 'src', 'new.py'), 'utf8'), 'ok\n');
  });

  it('propose_edit and edit_notebook_cell: a link to a file inside, a file under a linked folder', async () => {
    await refused(proposeEditTool, { path: 'inside-link.py', old_text: 'lr = 0.1', new_text: 'lr = 1' }, /symbolic link \(inside-link\.py\)/);
    await refused(proposeEditTool, { path: 'alias/train.py', old_text: 'lr = 0.1', new_text: 'lr = 1' }, /symbolic link \(alias\)/);
    assert.equal(readFileSync(join(ws, 'real', 'train.py'), 'utf8'), 'lr = 0.1\n');
    const notebooks = { read: () => Promise.resolve([]), replaceCell: () => Promise.reject(new Error('not reached')), insertCell: () => Promise.reject(new Error('not reached')) };
    const withNotebooks = { ...context, notebooks };
    await assert.rejects(editNotebookCellTool.preview!({ path: 'alias/nb.ipynb', cell_index: 0, mode: 'insert', new_source: 'x' }, withNotebooks), /symbolic link \(alias\)/);
    // The real path is fine.
    await proposeEditTool.run({ path: 'real/train.py', old_text: 'lr = 0.1', new_text: 'lr = 1' }, context, new AbortController().signal);
    assert.equal(readFileSync(join(ws, 'real', 'train.py'), 'utf8'), 'lr = 1\n');
    await assert.rejects(context.files.writeTextAtomic(join(ws, 'dangling.py'), 'x'), /symbolic link/);
    outsideUntouched();
  });

  it('scaffold_deployment: a linked output folder, a dangling link inside the output folder', async () => {
    const tool = scaffoldDeploymentTool();
    await refused(tool, { path: 'models/simple_cnn.onnx', target: 'fastapi', output_dir: 'alias' }, /symbolic link \(alias\)/);
    mkdirSync(join(ws, 'deploy'));
    symlinkSync(join(outside, 'app.py'), join(ws, 'deploy', 'app.py'));
    await assert.rejects(tool.run({ path: 'models/simple_cnn.onnx', target: 'fastapi', output_dir: 'deploy' }, context, new AbortController().signal), /app\.py in .* is a symbolic link/);
    // writeDeployment checks every path before writing any: nothing was written.
    assert.deepEqual(readdirSync(join(ws, 'deploy')), ['app.py']);
    const model = join(ws, 'models', 'simple_cnn.onnx');
    mkdirSync(join(ws, 'd2', 'model'), { recursive: true });
    symlinkSync(join(outside, 'bashrc'), join(ws, 'd2', 'model', 'simple_cnn.onnx.data'));
    assert.throws(() => writeDeployment(planDeployment(inspectModel(model), model, 'fastapi'), join(ws, 'd2')), /simple_cnn\.onnx\.data in .* is a symbolic link/);
    outsideUntouched();
  });

  it('optimize_model and export_model: an output path that is a dangling link', async () => {
    symlinkSync(join(outside, 'int8.onnx'), join(ws, 'models', 'simple_cnn.int8.onnx'));
    const ort = loadOrt();
    await assert.rejects(optimizeModelTool(() => ort).run({ path: 'models/simple_cnn.onnx', precision: 'int8' }, context, new AbortController().signal), /simple_cnn\.int8\.onnx goes through a symbolic link/);
    writeFileSync(join(ws, 'models', 'net.pth'), readFileSync(join(examples, 'models', 'tiny_classifier.safetensors')));
    copyFileSync(join(examples, 'models', 'churn_pipeline.joblib'), join(ws, 'models', 'churn.joblib'));
    symlinkSync(join(outside, 'churn.onnx'), join(ws, 'models', 'churn.onnx'));
    const python = (): Promise<string> => Promise.reject(new Error('Python is not reached'));
    await assert.rejects(exportModelTool(python, () => ws).run({ path: 'models/churn.joblib', target: 'onnx' }, context, new AbortController().signal), /churn\.onnx goes through a symbolic link/);
    outsideUntouched();
  });

  it('through the agent loop: create_file on a dangling link comes back to the model as an error, nothing written', async () => {
    const h = await startHarness(
      (request, i) =>
        i === 0
          ? { kind: 'message', blocks: [{ type: 'tool_use', name: 'create_file', input: { path: 'notes.md', content: 'pwned' } }] }
          : { kind: 'message', blocks: [{ type: 'text', text: String(lastToolResults(request)[0]?.content) }] },
      { approve: () => true },
    );
    try {
      const target = join(outside, 'notes.md');
      symlinkSync(target, join(h.workspace, 'notes.md'));
      await h.session.send('write notes', new AbortController().signal);
      const result = lastToolResults(h.server.requests[1]!.body)[0]!;
      assert.equal(result.is_error, true);
      assert.match(String(result.content), /symbolic link/);
      assert.equal(existsSync(target), false);
    } finally {
      await h.close();
      rmSync(h.workspace, { recursive: true, force: true });
    }
  });
});
