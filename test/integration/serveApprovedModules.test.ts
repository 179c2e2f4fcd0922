import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { prepareToolInvocation } from '../../src/lmtools/lmToolCatalog';
import { LocalModelServer } from '../../src/serving/localServer';
import { approvedModulesEnv, pickledWorkspaceModules } from '../../src/serving/pickledWorkspaceModules';
import { planServeApp } from '../../src/serving/servePlan';
import { APPROVED_MODULES_ENV } from '../../src/serving/userModules';
import { FolderServers } from '../../src/serving/agentServers';
import { serveLocallyTool } from '../../src/serving/servingTools';
import { eventually } from '../support/eventually';
import type { ScriptedReply } from '../support/fakeMessagesApi';
import { startHarness } from './agentHarness';
import { folderToolset } from '../../src/toolset/folderToolset';

// A pickle naming a module of the workspace (mle_step.py at its root) is served holding the approval
// to those files: serve_locally's card names the module (as Copilot and the agent loop show it; an app
// written before this is refused), and the app runs the approved file, checked
// against its approved sha256 as it loads, ahead of an installed module of the same name (one on the
// app's PYTHONPATH here), while a workspace file named like the standard library (fractions.py, which
// the pickle also names) never replaces it. Debian's python3-uvicorn and scikit-learn serve it for real.

const PYTHON = '/usr/bin/python3';
const STEP = [
  'import numpy as np',
  'from sklearn.base import BaseEstimator, TransformerMixin',
  'class Scale(TransformerMixin, BaseEstimator):',
  '    def __init__(self, factor=1): self.factor = factor',
  '    def fit(self, X, y=None):',
  '        self.n_features_in_ = X.shape[1]',
  '        return self',
  '    def transform(self, X): return np.asarray(X, dtype=float) * float(self.factor)',
].join('\n');
const BUILD = [
  'import fractions, joblib, numpy as np',
  'from mle_step import Scale',
  'from sklearn.linear_model import LogisticRegression',
  'from sklearn.pipeline import make_pipeline',
  'X = np.arange(20.0).reshape(10, 2)',
  'joblib.dump(make_pipeline(Scale(fractions.Fraction(1, 2)), LogisticRegression()).fit(X, np.arange(10) % 2), "models/step.joblib")',
].join('\n');
const INPUT = { path: 'models/step.joblib' };

describe('Serve Locally: the workspace modules a pickle imports are the approved files', function () {
  this.timeout(120_000);
  let ws: string;
  let site: string;
  let server: LocalModelServer | undefined;
  const model = () => join(ws, 'models', 'step.joblib');
  const appDir = () => join(ws, 'deploy', 'step-fastapi');

  before(() => {
    ws = mkdtempSync(join(tmpdir(), 'mle-serve-approved-'));
    mkdirSync(join(ws, 'models'));
    writeFileSync(join(ws, 'mle_step.py'), `${STEP}\n`);
    execFileSync(PYTHON, ['-c', BUILD], { cwd: ws });
    // After the build, which would have imported it: a workspace file the served app must never take for the standard library's.
    writeFileSync(join(ws, 'fractions.py'), 'raise ImportError("the workspace fractions.py was imported")\n');
    // An installed module of the same name as the workspace's, which Python finds before the appended workspace root.
    site = join(ws, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'mle_step.py'), 'raise ImportError("the installed mle_step was imported, not the approved file")\n');
    writeDeployment(planServeApp(inspectModel(model()), model()), appDir());
    writeFileSync(join(ws, 'rows.csv'), 'x0,x1\n1,2\n3,4\n');
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  it('serve_locally\'s card names the workspace module, and the tool serves the approved file', async () => {
    const toolset = folderToolset({ folder: ws, python: PYTHON });
    try {
      const tool = toolset.tools.find((t) => t.name === 'serve_locally')!;
      const prepared = await prepareToolInvocation(tool, INPUT, toolset.context);
      assert.match(prepared.confirmation!.message, /loading a pickle runs code from the file\) and imports mle_step\.py(, fractions\.py)? from the workspace\*\*/);
      const served = await tool.run(INPUT, toolset.context, new AbortController().signal);
      assert.match(served.content, /^Serving deploy\/step-fastapi as server "step-fastapi"/);
      const send = toolset.tools.find((t) => t.name === 'send_requests')!;
      const sent = await send.run({ data: 'rows.csv' }, toolset.context, new AbortController().signal);
      assert.equal(sent.summary, '1/1 requests answered', sent.content);
    } finally {
      await toolset.dispose();
    }
  });

  it('through the agent loop (loopback Messages API), the card the user is shown names the module', async () => {
    const servers = new FolderServers(() => Promise.resolve(PYTHON));
    const script = (_: unknown, i: number): ScriptedReply => {
      if (i > 0) return { kind: 'message', blocks: [{ type: 'text', text: 'done' }] };
      mkdirSync(join(h.workspace, 'models'));
      copyFileSync(model(), join(h.workspace, 'models', 'step.joblib'));
      copyFileSync(join(ws, 'mle_step.py'), join(h.workspace, 'mle_step.py'));
      return { kind: 'message', blocks: [{ type: 'tool_use', name: 'serve_locally', input: INPUT }] };
    };
    const serve = serveLocallyTool({ servers });
    const h = await startHarness(script, { extraTools: [serve], approve: () => false });
    try {
      await h.session.send('serve it', new AbortController().signal);
      assert.equal(h.approvals.length, 1);
      assert.match(h.approvals[0]!.confirmation, /^Serve models\/step\.joblib on 127\.0\.0\.1 .* and imports mle_step\.py from the workspace$/);
      assert.match(h.approvals[0]!.scope!, /mle_step\.py#[0-9a-f]{64}$/);
      // Declined: what the card kept for the run is gone (the line for that call, the session's own input object, no longer names the module).
      await eventually('the declined card forgotten', () => serve.confirmation!(h.approvals[0]!.input as typeof INPUT), (line) => !line.includes('imports'));
    } finally {
      await h.close();
      await servers.dispose();
    }
  });

  it('a module changed after the card was shown is not run: the app refuses, saying so', async () => {
    const toolset = folderToolset({ folder: ws, python: PYTHON });
    const file = join(ws, 'mle_step.py');
    try {
      const tool = toolset.tools.find((t) => t.name === 'serve_locally')!;
      assert.match((await prepareToolInvocation(tool, INPUT, toolset.context)).confirmation!.message, /and imports mle_step\.py/);
      writeFileSync(file, `${STEP}\nprint("changed after the approval")\n`);
      await assert.rejects(tool.run(INPUT, toolset.context, new AbortController().signal), (e: Error) => /the workspace module .*mle_step\.py changed after it was approved to serve it, so it is not run/.test(e.message));
    } finally {
      writeFileSync(file, `${STEP}\n`);
      await toolset.dispose();
    }
  });

  it('two cards at once: each run holds to the module files its own card was shown', async () => {
    const toolset = folderToolset({ folder: ws, python: PYTHON });
    const file = join(ws, 'mle_step.py');
    const second = { path: './models/step.joblib' };
    try {
      const tool = toolset.tools.find((t) => t.name === 'serve_locally')!;
      await prepareToolInvocation(tool, INPUT, toolset.context);
      writeFileSync(file, `${STEP}\n# changed between the two cards\n`);
      assert.match((await prepareToolInvocation(tool, second, toolset.context)).confirmation!.message, /and imports mle_step\.py/);
      // The first card's approval is its own, not replaced by the second's hashes or the files as they are now.
      await assert.rejects(tool.run(INPUT, toolset.context, new AbortController().signal), (e: Error) => /the workspace module .*mle_step\.py changed after it was approved to serve it, so it is not run/.test(e.message));
      const served = await tool.run(second, toolset.context, new AbortController().signal);
      assert.match(served.content, /^Serving deploy\/step-fastapi as server "step-fastapi"/);
    } finally {
      writeFileSync(file, `${STEP}\n`);
      await toolset.dispose();
    }
  });

  it('an app written before approvals held it to the files is refused, not served with the workspace root', async () => {
    const toolset = folderToolset({ folder: ws, python: PYTHON });
    const app = join(appDir(), 'app.py');
    const text = readFileSync(app, 'utf8');
    try {
      writeFileSync(app, text.replaceAll(APPROVED_MODULES_ENV, 'AN_OLDER_APP'));
      const tool = toolset.tools.find((t) => t.name === 'serve_locally')!;
      await prepareToolInvocation(tool, INPUT, toolset.context);
      await assert.rejects(tool.run(INPUT, toolset.context, new AbortController().signal), /app\.py in step-fastapi was written by an earlier ML Engineer: .* Nothing was started: delete this folder/);
    } finally {
      writeFileSync(app, text);
      await toolset.dispose();
    }
  });

  it('an installed module of the same name shadows the workspace root, but not the approved file', async () => {
    // Without the approval (the app run by hand) the installed module comes first, as Python has it.
    await assert.rejects(LocalModelServer.start({ python: PYTHON, appDir: appDir(), module: 'app', env: { PYTHONPATH: site, MODEL_REQUEST_LOG: 'off' } }), /the installed mle_step was imported/);
    const env = approvedModulesEnv(pickledWorkspaceModules(inspectModel(model()), ws), ws);
    assert.deepEqual(Object.keys((JSON.parse(env[APPROVED_MODULES_ENV]!) as { modules: object }).modules).sort(), ['fractions', 'mle_step']);
    server = await LocalModelServer.start({ python: PYTHON, appDir: appDir(), module: 'app', env: { ...env, PYTHONPATH: site, MODEL_REQUEST_LOG: 'off' } });
    const answer = await server.call('/predict', JSON.stringify({ instances: [[1, 2], [30, 40]] }));
    assert.equal(answer.status, 200, answer.body);
    const byHand = execFileSync(PYTHON, ['-c', 'import json, sys; sys.path.append(sys.argv[1]); import joblib; print(json.dumps(joblib.load(sys.argv[2]).predict([[1, 2], [30, 40]]).tolist()))', ws, model()], { cwd: tmpdir(), encoding: 'utf8' });
    assert.deepEqual((JSON.parse(answer.body) as { predictions: number[] }).predictions, JSON.parse(byHand));
  });
});
