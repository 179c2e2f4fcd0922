import * as assert from 'node:assert/strict';
import { serverFailure } from '../../src/serving/serverErrors';

// A module a pickle names that is neither installed nor under the workspace root is likely the user's own:
// it must not become "pip install <name>", which could install an unrelated PyPI package of that name.

const options = { python: '/usr/bin/python3', appDir: '/ws/deploy/m-fastapi', module: 'app' };

describe('serverFailure: a missing module', () => {
  it('gives a pip line for a known package (torch, sklearn as scikit-learn)', () => {
    assert.match(serverFailure(options, 8000, "ModuleNotFoundError: No module named 'torch'").message, /package "torch".*\n\/usr\/bin\/python3 -m pip install torch$/s);
    const nowhere = "RuntimeError: cannot load /ws/m.joblib: loading it needs the module sklearn, which is neither installed nor under MODEL_CODE_DIR (/ws): move it";
    assert.match(serverFailure(options, 8000, nowhere).message, /pip install scikit-learn$/);
  });

  it('names an unknown module as found neither under the workspace root nor installed, with no pip line', () => {
    const nowhere = "RuntimeError: cannot load /ws/m.joblib: loading it needs the module torch_step, which is neither installed nor under MODEL_CODE_DIR (/ws): move it";
    const message = serverFailure(options, 8000, nowhere).message;
    assert.match(message, /"torch_step", which is neither under the workspace root \(\/ws\) nor installed in \/usr\/bin\/python3\. If it is your own module, put torch_step\.py at the workspace root/);
    assert.doesNotMatch(message, /pip install/);
    // An app's own import of an unknown name is still a package to Python's eyes: pip's line, as before.
    assert.match(serverFailure(options, 8000, "ModuleNotFoundError: No module named 'my_utils'").message, /package "my_utils".*pip install my_utils$/s);
  });
});
