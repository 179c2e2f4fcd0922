import * as assert from 'node:assert/strict';
import { modelCodeWarning } from '../../src/common/modelCodeWarning';

// The dialog before a model file whose loading runs code is loaded (Serve Locally, Export,
// Quantize, Compare Models): it names the file by its path, and says so when it is outside the
// workspace (a registry version's files can be anywhere on disk).

describe('modelCodeWarning', () => {
  it('names the workspace-relative path of a pickle inside the workspace, with its classes', () => {
    assert.equal(modelCodeWarning({ shown: 'mlruns/1/abc/artifacts/model/model.pkl', outside: false, kind: 'pickle', action: 'Compare', classes: 'sklearn.pipeline.Pipeline' }), 'Loading mlruns/1/abc/artifacts/model/model.pkl runs code from the classes it pickles (sklearn.pipeline.Pipeline). Compare only files you trust.');
  });

  it('says plainly when the file is outside the workspace, with its full path', () => {
    assert.equal(modelCodeWarning({ shown: '/opt/models/churn/model.pt', outside: true, kind: 'torchscript', action: 'Compare' }), 'Loading /opt/models/churn/model.pt (TorchScript) with torch.jit.load runs the code it holds and unpickles its constants. This file is outside the workspace. Compare only files you trust.');
  });
});
