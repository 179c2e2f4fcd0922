import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { exportSklearnModel, missingForSklearnExport } from '../../src/models/export/sklearnExport';
import { exportTorchModel } from '../../src/models/export/torchExport';
import { pythonOptimizers } from '../../src/models/optimize/pythonOptimize';
import { quantizeTorchModel } from '../../src/models/optimize/torchQuantize';
import { checkJupyter } from '../../src/kernels/localServer';
import { pythonCandidates, resolvePython } from '../../src/python/pythonInterpreter';
import { checkModules } from '../../src/python/pythonModules';
import { listMlPackages } from '../../src/python/pythonPackages';

// A workspace that plants modules named like the ones our Python jobs import (json, os, torch,
// joblib, skl2onnx, onnxruntime...): each writes a marker when imported. Every Python we start
// (the interpreter probe, the package and module probes, the torch and scikit-learn jobs) runs
// with the extension host's working directory in that workspace, as when VS Code is started from
// it, and must import none of them. The model's own class (mynet.py) still loads from it.

const PYTHON = '/usr/bin/python3'; // Debian's, with python3-torch and python3-sklearn (scripts/ensure-prerequisites.sh)
const HOSTILE = ['json', 'os', 'sys', 'time', 'contextlib', 'importlib', 'site', 'sitecustomize', 'usercustomize', 'torch', 'numpy', 'joblib', 'sklearn', 'skl2onnx', 'onnx', 'onnxruntime', 'onnxconverter_common', 'inspect'];

describe('Python jobs never import the workspace\'s modules', function () {
  this.timeout(300_000);
  let workspace: string;
  let marker: string;
  let home: string;
  const savedCwd = process.cwd();
  const savedEnv = { ...process.env };

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'mle-isolation-'));
    workspace = join(home, 'workspace');
    mkdirSync(workspace);
    marker = join(home, 'imported.txt');
    for (const name of HOSTILE) writeFileSync(join(workspace, `${name}.py`), `open(${JSON.stringify(marker)}, "a").write(${JSON.stringify(name)} + "\\n")\n`);
    // The user's own model class, and the files pickled from it (written from a clean folder).
    const build = join(home, 'build');
    mkdirSync(build);
    const net = 'import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(6, 3)\n\n    def forward(self, x):\n        return self.fc(x)\n';
    writeFileSync(join(build, 'mynet.py'), net);
    writeFileSync(join(workspace, 'mynet.py'), net);
    execFileSync(PYTHON, ['-c', [
      'import torch, mynet, joblib',
      'from sklearn.linear_model import LogisticRegression',
      'torch.save(mynet.Net().eval(), "net.pth")',
      'joblib.dump(LogisticRegression().fit([[0, 1], [1, 0], [1, 1], [0, 0]], [0, 1, 1, 0]), "clf.joblib")',
    ].join('\n')], { cwd: build });
    for (const f of ['net.pth', 'clf.joblib']) writeFileSync(join(workspace, f), readFileSync(join(build, f)));
    process.chdir(workspace);
  });

  after(() => {
    process.chdir(savedCwd);
    process.env = savedEnv;
    rmSync(home, { recursive: true, force: true });
  });

  const imported = (): string => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n').sort().join(', ') : '');

  it('the interpreter, package and module probes', async () => {
    const resolution = await resolvePython(pythonCandidates(PYTHON, undefined));
    assert.ok(resolution.found, JSON.stringify(resolution.attempts));
    const packages = await listMlPackages(PYTHON);
    assert.ok(packages.ok && packages.packages.find((p) => p.name === 'torch')?.version, JSON.stringify(packages));
    const [torch, onnxruntime] = await checkModules(PYTHON, [{ module: 'torch', label: 'torch' }, { module: 'onnxruntime', label: 'onnxruntime' }]);
    assert.ok(torch!.version, torch!.problem);
    assert.match(onnxruntime!.problem ?? '', /onnxruntime is not installed/, 'the workspace onnxruntime.py does not count as onnxruntime');
    assert.equal((await pythonOptimizers(PYTHON)).onnxruntime, undefined);
    assert.match((await missingForSklearnExport(PYTHON)) ?? '', /skl2onnx is not installed/);
    assert.equal(await checkJupyter(PYTHON), 'jupyter_server', 'the local Jupyter server\'s check');
    assert.equal(imported(), '');
  });

  it('the torch export and quantization jobs, which still load the user\'s class from the workspace', async () => {
    const onnx = await exportTorchModel(PYTHON, join(workspace, 'net.pth'), 'pickled-module', 'onnx', [1, 6], { cwd: workspace });
    assert.ok(existsSync(onnx.out));
    const q = await quantizeTorchModel(PYTHON, join(workspace, 'net.pth'), [2, 6], { cwd: workspace });
    assert.equal(q.layers, 1);
    assert.equal(imported(), '');
  });

  it('the scikit-learn export job (which finds no skl2onnx, not the workspace\'s)', async () => {
    await assert.rejects(exportSklearnModel(PYTHON, join(workspace, 'clf.joblib'), { cwd: workspace }), /skl2onnx is not installed/);
    assert.equal(imported(), '');
  });

  it('keeps the user\'s own site-packages and absolute PYTHONPATH entries, not relative ones', async () => {
    const userBase = join(home, 'userbase');
    const version = execFileSync(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
    const userSite = join(userBase, 'lib', `python${version}`, 'site-packages');
    mkdirSync(userSite, { recursive: true });
    writeFileSync(join(userSite, 'mle_user_pkg.py'), '__version__ = "1.2.3"\n');
    const pathDir = join(home, 'pythonpath');
    mkdirSync(pathDir);
    writeFileSync(join(pathDir, 'mle_path_pkg.py'), '__version__ = "4.5.6"\n');
    process.env.PYTHONUSERBASE = userBase;
    process.env.PYTHONPATH = ['.', pathDir].join(delimiter);
    try {
      const found = await checkModules(PYTHON, [{ module: 'mle_user_pkg', label: 'user' }, { module: 'mle_path_pkg', label: 'path' }, { module: 'skl2onnx', label: 'skl2onnx' }]);
      assert.deepEqual(found.map((f) => f.version ?? f.problem), ['1.2.3', '4.5.6', `skl2onnx is not installed in ${PYTHON}`]);
      process.env.PYTHONNOUSERSITE = '1';
      assert.match((await checkModules(PYTHON, [{ module: 'mle_user_pkg', label: 'user' }]))[0]!.problem ?? '', /not installed/, 'PYTHONNOUSERSITE is honoured');
    } finally {
      delete process.env.PYTHONUSERBASE;
      delete process.env.PYTHONPATH;
      delete process.env.PYTHONNOUSERSITE;
    }
    assert.equal(imported(), '');
  });
});
