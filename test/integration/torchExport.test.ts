import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { exportModelTool } from '../../src/models/export/exportTool';
import { exportTorchModel, parseShape, torchFileKind } from '../../src/models/export/torchExport';
import { quantizeTorchModel } from '../../src/models/optimize/torchQuantize';
import { inspectModel } from '../../src/models/inspectModel';
import { createSession, loadOrt, sampleFeeds } from '../../src/models/runtime/onnxRun';

// Export Model… through the real torch (Debian python3-torch): a module pickled from the user's
// package and a TorchScript archive to ONNX, the module to TorchScript; the ONNX files are read by
// our reader and run by onnxruntime with a batch of 3 through the dynamic batch axis.

const PYTHON = '/usr/bin/python3';

describe('Export of PyTorch files with the real torch', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-export-'));
    // A project module, as users pickle their models from their own package.
    writeFileSync(join(dir, 'mynet.py'), 'import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.body = nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(24, 4))\n\n    def forward(self, x):\n        return self.body(x)\n\nclass ConvOnly(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3)\n\n    def forward(self, x):\n        return self.conv(x)\n');
    execFileSync(PYTHON, ['-c', 'import torch, mynet\nm = mynet.Net().eval()\ntorch.save(m, "net.pth")\ntorch.save(m.state_dict(), "weights.pt")\ntorch.jit.trace(m, torch.randn(1, 12)).save("scripted.pt")\nclass Local(torch.nn.Module):\n    def forward(self, x):\n        return x\ntorch.save(Local(), "main_class.pth")\ntorch.save(mynet.ConvOnly(), "conv.pth")'], { cwd: dir });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function runsWithBatch(onnx: string, batch: number): Promise<number[]> {
    const ort = loadOrt();
    const info = inspectModel(onnx);
    assert.deepEqual(info.inputs?.map((i) => i.shape), [['batch', 12]]);
    const session = await createSession(ort, onnx, info);
    const out = await session.run(sampleFeeds(ort, info.inputs, { batch }));
    await session.release();
    return [...out.output!.dims];
  }

  it('knows a pickled module, TorchScript and plain weights apart', () => {
    assert.equal(torchFileKind(inspectModel(join(dir, 'net.pth'))), 'pickled-module');
    assert.equal(torchFileKind(inspectModel(join(dir, 'scripted.pt'))), 'torchscript');
    assert.equal(torchFileKind(inspectModel(join(dir, 'weights.pt'))), 'weights');
  });

  it('exports a pickled module to ONNX (dynamic batch) and to TorchScript', async () => {
    const onnx = await exportTorchModel(PYTHON, join(dir, 'net.pth'), 'pickled-module', 'onnx', parseShape('1, 12')!, { cwd: dir });
    assert.equal(onnx.out, join(dir, 'net.onnx'));
    assert.deepEqual(await runsWithBatch(onnx.out, 3), [3, 4]);
    const ts = await exportTorchModel(PYTHON, join(dir, 'net.pth'), 'pickled-module', 'torchscript', [1, 12], { cwd: dir });
    assert.ok(existsSync(ts.out));
    assert.equal(torchFileKind(inspectModel(ts.out)), 'torchscript');
  });

  it('exports a TorchScript archive to ONNX', async () => {
    const onnx = await exportTorchModel(PYTHON, join(dir, 'scripted.pt'), 'torchscript', 'onnx', [1, 12], { cwd: dir });
    assert.deepEqual(await runsWithBatch(onnx.out, 5), [5, 4]);
  });

  it('says what to do with weights, a class from a script\'s __main__, or a wrong shape', async () => {
    await assert.rejects(exportTorchModel(PYTHON, join(dir, 'weights.pt'), 'weights', 'onnx', [1, 12], { cwd: dir }), /holds weights .* not a model/);
    await assert.rejects(exportTorchModel(PYTHON, join(dir, 'main_class.pth'), 'pickled-module', 'onnx', [1, 12], { cwd: dir }), /pickles a class defined in a script's __main__ \(Local\)/);
    await assert.rejects(exportTorchModel(PYTHON, join(dir, 'net.pth'), 'pickled-module', 'onnx', [1, 7], { cwd: dir }), /the export failed: .*(shape|size|mat)/i);
    assert.equal(parseShape('1, 3, 224, 224')?.length, 4);
    assert.equal(parseShape('1, -3'), undefined);
  });

  it('the agent\'s export_model tool exports inside the workspace and reports the ONNX inputs and outputs', async () => {
    const tool = exportModelTool(() => Promise.resolve(PYTHON), () => dir);
    assert.equal(tool.risk, 'execute', 'it runs Python: approval first');
    const context = { files: new WorkspaceFiles([{ name: 'ws', path: dir }]), applyChange: () => Promise.resolve() };
    const result = await tool.run({ path: 'scripted.pt', target: 'onnx', input_shape: [1, 12] }, context, new AbortController().signal);
    assert.match(result.content, /Exported scripted\.onnx with torch .* Inputs: input \[batch, 12\]; outputs: output \[batch, 4\]/);
    await assert.rejects(tool.run({ path: 'weights.pt', target: 'onnx', input_shape: [1, 12] }, context, new AbortController().signal), /holds weights/);
    await assert.rejects(tool.run({ path: '../outside.pt', target: 'onnx', input_shape: [1, 12] }, context, new AbortController().signal));
  });

  it('quantizes a pickled module dynamically with torch: smaller file, output within int8 error, or says why not', async () => {
    const r = await quantizeTorchModel(PYTHON, join(dir, 'net.pth'), [4, 12], { cwd: dir });
    assert.equal(r.out, join(dir, 'net.int8.pth'));
    assert.equal(r.layers, 2);
    assert.ok(r.after < r.before, `${r.after} < ${r.before}`);
    assert.ok(r.maxAbsDiff! > 0 && r.maxAbsDiff! < 0.05 * Math.max(1, r.maxAbs!), `${r.maxAbsDiff} of ${r.maxAbs}`);
    assert.ok(inspectModel(r.out).tensors.some((t) => t.dtype === 'qint8'), 'our reader sees the int8 weights');
    await assert.rejects(quantizeTorchModel(PYTHON, join(dir, 'conv.pth'), [1, 3, 8, 8], { cwd: dir }), /no Linear, LSTM or GRU layers/);
  });

  it('stops when cancelled', async () => {
    const abort = new AbortController();
    const run = exportTorchModel(PYTHON, join(dir, 'net.pth'), 'pickled-module', 'onnx', [1, 12], { cwd: dir, signal: abort.signal });
    abort.abort();
    await assert.rejects(run, /cancelled/);
  });
});
