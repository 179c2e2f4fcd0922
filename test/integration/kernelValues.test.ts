import * as assert from 'node:assert/strict';
import { execute } from '../../src/kernels/execution';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { describeKernelValue, inspectKernel, MAX_TOOLTIP_REPR } from '../../src/kernels/kernelInspection';
import { MAX_PREVIEW_CHARS, previewKernelValue } from '../../src/kernels/valuePreview';
import { startJupyter, type JupyterFixture } from '../support/jupyterHarness';

// What the Kernels view shows of pandas, numpy and torch objects in a real kernel (Debian's
// python3-pandas, python3-numpy, python3-torch: scripts/ensure-prerequisites.sh): type names as
// people write them, a bounded repr for the tooltip, and the preview a click opens; all read by
// silent requests that leave the user's history and execution count alone.

const SETUP = String.raw`
import numpy as np, pandas as pd, torch
net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
arr = np.arange(12, dtype=np.float32).reshape(3, 4)
nan_arr = np.array([1.0, np.nan, 3.0])
ints = np.arange(1000, dtype=np.int16)
df = pd.DataFrame({"tenure": range(100), "charges": [i * 0.5 for i in range(100)], "plan": ["basic", None] * 50})
series = pd.Series(range(30), name="steps")
t = torch.arange(24, dtype=torch.float32).reshape(6, 4)
t_nan = torch.tensor([1.0, float("nan"), 5.0])
t_int = torch.arange(10)
scalar_t = torch.tensor(3.5)
big_list = list(range(1_000_000))
long_text = "y" * 100_000
class Opaque:
    def __repr__(self):
        return "Opaque(" + "z" * 100_000 + ")"
opaque = Opaque()
`;

describe('Kernel variables: names, tooltips and previews against a real kernel', function () {
  this.timeout(120_000);
  let jupyter: JupyterFixture;
  let kernel: KernelConnection;
  let countAfterSetup: number;

  before(async () => {
    jupyter = await startJupyter();
    kernel = await jupyter.start();
    const setup = execute(kernel, SETUP);
    await setup.done;
    assert.deepEqual(setup.outputs.outputs.filter((o) => o.type === 'error'), [], 'the setup cell failed: are python3-pandas and python3-torch installed?');
    countAfterSetup = setup.outputs.executionCount!;
  });
  after(async () => {
    await jupyter?.close();
  });

  it('names types by their public path: torch.nn.Sequential, pandas.DataFrame, numpy.ndarray, torch.Tensor', async () => {
    const { variables } = await inspectKernel(kernel);
    const type = (name: string): string | undefined => variables.find((v) => v.name === name)?.type;
    assert.equal(type('net'), 'torch.nn.Sequential');
    assert.equal(type('df'), 'pandas.DataFrame');
    assert.equal(type('series'), 'pandas.Series');
    assert.equal(type('arr'), 'numpy.ndarray');
    assert.equal(type('t'), 'torch.Tensor');
    assert.equal(type('big_list'), 'list');
    // A class of the notebook's own: where Python says it is defined.
    assert.equal(type('opaque'), '__main__.Opaque');
  });

  it('gives a tooltip the full type and a repr bounded at a few KB', async () => {
    const net = await describeKernelValue(kernel, 'net');
    assert.equal(net?.type, 'torch.nn.Sequential');
    assert.equal(net?.definedAs, 'torch.nn.modules.container.Sequential');
    assert.match(net?.repr ?? '', /\(0\): Linear\(in_features=4, out_features=8, bias=True\)[\s\S]*\(2\): Linear\(in_features=8, out_features=2/);
    assert.equal(net?.truncated, false);
    const df = await describeKernelValue(kernel, 'df');
    assert.match(df?.repr ?? '', /tenure\s+charges\s+plan/);
    // A million-item list, 100,000 characters and a huge custom repr: each cut, none past the limit.
    for (const name of ['big_list', 'long_text', 'opaque']) {
      const value = await describeKernelValue(kernel, name);
      assert.ok(value && value.repr.length <= MAX_TOOLTIP_REPR, `${name}: ${value?.repr.length}`);
      assert.match(value.repr, /\.\.\./, name);
    }
    assert.match((await describeKernelValue(kernel, 'big_list'))!.repr, /^\[0, 1, 2, /);
    assert.equal(await describeKernelValue(kernel, 'no_such_variable'), undefined);
  });

  it('previews a DataFrame: shape, dtypes with missing values, first and last rows', async () => {
    const preview = await previewKernelValue(kernel, 'df');
    const text = preview?.text ?? '';
    assert.match(text, /^df: pandas\.core\.frame\.DataFrame$/m);
    assert.match(text, /^shape: \(100, 3\)$/m);
    assert.match(text, /^ {2}tenure +int64 +0$/m);
    assert.match(text, /^ {2}charges +float64 +0$/m);
    assert.match(text, /^ {2}plan +object +50$/m);
    assert.match(text, /first 10 rows:\n +tenure +charges +plan\n0 +0 +0\.0 +basic/);
    assert.match(text, /last 10 rows:[\s\S]*\n99 +99 +49\.5 +None$/);
    assert.doesNotMatch(text, /^50 /m, 'rows in the middle are not shown');
    const series = await previewKernelValue(kernel, 'series');
    assert.match(series?.text ?? '', /dtype: int64, missing values: 0/);
    assert.match(series?.text ?? '', /last 10 rows:\n20 +20/);
  });

  it('previews arrays and tensors with min, max and mean (NaN counted), and their first and last rows', async () => {
    const t = (await previewKernelValue(kernel, 't'))?.text ?? '';
    assert.match(t, /^shape: \(6, 4\)$/m);
    assert.match(t, /^dtype: torch\.float32$/m);
    assert.match(t, /^device: cpu, requires_grad: False$/m);
    assert.match(t, /^ {2}NaN +0$/m);
    assert.match(t, /^ {2}min +0\.0$/m);
    assert.match(t, /^ {2}max +23\.0$/m);
    assert.match(t, /^ {2}mean +11\.5$/m);
    const withNan = (await previewKernelValue(kernel, 't_nan'))?.text ?? '';
    assert.match(withNan, /^ {2}NaN +1$/m);
    const ints = (await previewKernelValue(kernel, 't_int'))?.text ?? '';
    assert.match(ints, /^ {2}mean +4\.5$/m);
    assert.match((await previewKernelValue(kernel, 'scalar_t'))?.text ?? '', /value:\ntensor\(3\.5000\)/);
    const nanArr = (await previewKernelValue(kernel, 'nan_arr'))?.text ?? '';
    assert.match(nanArr, /^ {2}NaN +1$/m);
    assert.match(nanArr, /^ {2}min +1\.0$/m);
    assert.match(nanArr, /^ {2}max +3\.0$/m);
    assert.match(nanArr, /^ {2}mean +2\.0$/m);
    const ints16 = (await previewKernelValue(kernel, 'ints'))?.text ?? '';
    assert.match(ints16, /^dtype: int16$/m);
    assert.match(ints16, /^ {2}max +999$/m);
    assert.match(ints16, /first 10 rows:\n\[0 1 2 3 4 5 6 7 8 9\]/);
    assert.match(ints16, /last 10 rows:\n\[990 991 992 993 994 995 996 997 998 999\]/);
  });

  it('keeps a preview of anything else within its cap, and says when a variable is gone', async () => {
    const opaque = await previewKernelValue(kernel, 'opaque');
    assert.ok(opaque && opaque.text.length <= MAX_PREVIEW_CHARS);
    assert.match(opaque.text, /^opaque: __main__\.Opaque\n\nvalue:\nOpaque\(z+\.\.\.z+\)$/);
    assert.equal(await previewKernelValue(kernel, 'no_such_variable'), undefined);
  });

  it('took no execution count and defined nothing in the namespace', async () => {
    const after = execute(kernel, 'print(sorted(k for k in globals() if k in ("run", "preview", "type_name", "_R", "result")))');
    await after.done;
    assert.equal(after.outputs.executionCount, countAfterSetup + 1);
    assert.match(after.outputs.outputs.map((o) => (o.type === 'stream' ? o.text : '')).join(''), /^\[\]\n$/);
  });
});
