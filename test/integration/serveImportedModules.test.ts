import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { prepareToolInvocation } from '../../src/lmtools/lmToolCatalog';
import { writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { LocalModelServer } from '../../src/serving/localServer';
import { approvedModulesEnv, importedNames, pickledWorkspaceModules } from '../../src/serving/pickledWorkspaceModules';
import { planServeApp } from '../../src/serving/servePlan';
import { folderToolset } from '../../src/toolset/folderToolset';

// The pickle names only mle_pkg.model; that module imports its package's utils, and a top-level
// workspace module (mle_helpers), which imports another (mle_extra). The approval covers them all
// and the card names them; a change to any after the card is refused by the app as it loads, and a
// workspace module the approval does not hold (imported by a name built at run time) is never run.
// Real scikit-learn pickles served with uvicorn by /usr/bin/python3.

const PYTHON = '/usr/bin/python3';
const FILES: Record<string, string> = {
  'mle_pkg/__init__.py': '',
  'mle_pkg/model.py': [
    'import numpy as np',
    'from sklearn.base import BaseEstimator, TransformerMixin',
    'from .utils import offset',
    'import mle_helpers',
    'class Shift(TransformerMixin, BaseEstimator):',
    '    def fit(self, X, y=None):',
    '        self.n_features_in_ = X.shape[1]',
    '        return self',
    '    def transform(self, X): return mle_helpers.double(np.asarray(X, dtype=float)) + offset()',
  ].join('\n'),
  'mle_pkg/utils.py': 'def offset(): return 0.0',
  'mle_helpers.py': 'from mle_extra import factor\ndef double(x): return x * factor()',
  'mle_extra.py': 'def factor(): return 2.0',
};
const BUILD = [
  'import joblib, numpy as np',
  'from mle_pkg.model import Shift',
  'from sklearn.linear_model import LogisticRegression',
  'from sklearn.pipeline import make_pipeline',
  'X = np.arange(20.0).reshape(10, 2)',
  'joblib.dump(make_pipeline(Shift(), LogisticRegression()).fit(X, np.arange(10) % 2), "models/shift.joblib")',
].join('\n');
const INPUT = { path: 'models/shift.joblib' };

describe('Serve Locally: the workspace modules a pickled module imports are approved with it', function () {
  this.timeout(120_000);
  let ws: string;
  const model = () => join(ws, 'models', 'shift.joblib');
  const write = (name: string, text: string) => writeFileSync(join(ws, name), `${text}\n`);

  before(() => {
    ws = mkdtempSync(join(tmpdir(), 'mle-serve-imports-'));
    mkdirSync(join(ws, 'models'));
    mkdirSync(join(ws, 'mle_pkg'));
    for (const [name, text] of Object.entries(FILES)) write(name, text);
    execFileSync(PYTHON, ['-c', BUILD], { cwd: ws });
    writeDeployment(planServeApp(inspectModel(model()), model()), join(ws, 'deploy', 'shift-fastapi'));
    writeFileSync(join(ws, 'rows.csv'), 'x0,x1\n1,2\n3,4\n');
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  it('reads the import statements a module states', () => {
    const text = ['import a.b, c as d', 'from e.f import (g,', '    h)', 'from . import i', 'from .j import k', 'def f():', '    import l; import m', 'try: import n', 'except ImportError: pass', '# import o', 'important = 1', 'import \\', '    p'].join('\n');
    assert.deepEqual(importedNames(text), ['a', 'c', 'e', 'l', 'm', 'n', 'p']);
  });

  it('the card names the imported modules, transitively, and unchanged they are served', async () => {
    const found = pickledWorkspaceModules(inspectModel(model()), ws).map((m) => relative(ws, m.file).split('\\').join('/'));
    assert.deepEqual(found.sort(), Object.keys(FILES).sort());
    const toolset = folderToolset({ folder: ws, python: PYTHON });
    try {
      const tool = toolset.tools.find((t) => t.name === 'serve_locally')!;
      const card = (await prepareToolInvocation(tool, INPUT, toolset.context)).confirmation!.message;
      for (const name of Object.keys(FILES)) assert.ok(card.includes(name), `${name} is not on the card: ${card}`);
      const served = await tool.run(INPUT, toolset.context, new AbortController().signal);
      assert.match(served.content, /^Serving deploy\/shift-fastapi as server "shift-fastapi"/);
      const sent = await toolset.tools.find((t) => t.name === 'send_requests')!.run({ data: 'rows.csv' }, toolset.context, new AbortController().signal);
      assert.equal(sent.summary, '1/1 requests answered', sent.content);
    } finally {
      await toolset.dispose();
    }
  });

  for (const name of ['mle_extra.py', 'mle_pkg/utils.py']) {
    it(`${name} changed after the card is refused as the app loads`, async () => {
      const toolset = folderToolset({ folder: ws, python: PYTHON });
      try {
        const tool = toolset.tools.find((t) => t.name === 'serve_locally')!;
        await prepareToolInvocation(tool, INPUT, toolset.context);
        write(name, `${FILES[name]}\nprint("changed after the approval")`);
        const refused = new RegExp(`the workspace module .*${name.replace('.', '\\.')} changed after it was approved to serve it, so it is not run`);
        await assert.rejects(tool.run(INPUT, toolset.context, new AbortController().signal), (e: Error) => refused.test(e.message));
      } finally {
        write(name, FILES[name]!);
        await toolset.dispose();
      }
    });
  }

  it('a workspace module the approval does not hold is refused, not imported from the workspace root', async () => {
    const held = pickledWorkspaceModules(inspectModel(model()), ws).filter((m) => !m.file.endsWith('mle_extra.py'));
    const started = await LocalModelServer.start({ python: PYTHON, appDir: join(ws, 'deploy', 'shift-fastapi'), module: 'app', env: { ...approvedModulesEnv(held, ws), MODEL_REQUEST_LOG: 'off' } }).catch((e: Error) => e);
    if (started instanceof LocalModelServer) await started.stop();
    assert.ok(started instanceof Error, 'the app was served with mle_extra.py unapproved');
    assert.match(started.message, /it imports the workspace module mle_extra, which the approval to serve it did not cover/);
  });
});
