import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent } from '../../src/agent/agentEvents';
import type { Tool, ToolContext } from '../../src/agent/tools/tool';
import { prepareToolInvocation } from '../../src/lmtools/lmToolCatalog';
import { FolderServers } from '../../src/serving/agentServers';
import { serveLocallyTool } from '../../src/serving/servingTools';
import { eventually } from '../support/eventually';
import type { ScriptedReply } from '../support/fakeMessagesApi';
import { startHarness, type Harness } from './agentHarness';
import { folderToolset } from '../../src/toolset/folderToolset';

// Two chats call serve_locally on the same path at once, through one tool (as the window's chats
// share it): each call's approval is its own. One card declined, or one call run first, leaves the
// other holding the module files its own card was shown, so a file changed after that card is
// refused, not served as it is now. Real agent sessions (loopback Messages API) and real uvicorn.

const PYTHON = '/usr/bin/python3';
const STEP = [
  'import numpy as np',
  'from sklearn.base import BaseEstimator, TransformerMixin',
  'class Scale(TransformerMixin, BaseEstimator):',
  '    def fit(self, X, y=None):',
  '        self.n_features_in_ = X.shape[1]',
  '        return self',
  '    def transform(self, X): return np.asarray(X, dtype=float)',
].join('\n');
const BUILD = [
  'import joblib, numpy as np',
  'from mle_step import Scale',
  'from sklearn.linear_model import LogisticRegression',
  'from sklearn.pipeline import make_pipeline',
  'X = np.arange(20.0).reshape(10, 2)',
  'joblib.dump(make_pipeline(Scale(), LogisticRegression()).fit(X, np.arange(10) % 2), "models/step.joblib")',
].join('\n');
const INPUT = { path: 'models/step.joblib' };
const REFUSED = /the workspace module .*mle_step\.py changed after it was approved to serve it, so it is not run/;

/** An answer the test gives when it chooses. */
function gate(): { answer: Promise<boolean>; give(approved: boolean): void } {
  let give!: (approved: boolean) => void;
  const answer = new Promise<boolean>((resolve) => (give = resolve));
  return { answer, give };
}

function finished(events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'toolStatus' }> | undefined {
  return events.find((e): e is Extract<AgentEvent, { type: 'toolStatus' }> => e.type === 'toolStatus' && ['done', 'error', 'denied'].includes(e.status));
}

describe('serve_locally: two calls on the same path at once each hold their own approval', function () {
  this.timeout(180_000);
  let servers: FolderServers;
  let chats: Harness[] = [];

  beforeEach(() => {
    servers = new FolderServers(() => Promise.resolve(PYTHON));
    chats = [];
  });
  afterEach(async () => {
    await Promise.all(chats.map((h) => h.close()));
    await servers.dispose();
  });

  /** Two chats sharing one serve_locally, each in a workspace holding the model and its module; their cards wait for the gates. */
  async function twoChats(gates: ReturnType<typeof gate>[]): Promise<Harness[]> {
    const serve = serveLocallyTool({ servers });
    for (const g of gates) {
      const script = (_: unknown, i: number): ScriptedReply =>
        i > 0 ? { kind: 'message', blocks: [{ type: 'text', text: 'done' }] } : { kind: 'message', blocks: [{ type: 'tool_use', name: 'serve_locally', input: INPUT }] };
      const h = await startHarness(script, { extraTools: [serve], approve: () => g.answer });
      mkdirSync(join(h.workspace, 'models'));
      writeFileSync(join(h.workspace, 'mle_step.py'), `${STEP}\n`);
      execFileSync(PYTHON, ['-c', BUILD], { cwd: h.workspace });
      chats.push(h);
    }
    return chats;
  }

  it('declining one card leaves the other its own: its module changed after its card is refused', async () => {
    const [a, b] = [gate(), gate()];
    const [first, second] = await twoChats([a, b]);
    const sends = [first!, second!].map((h) => h.session.send('serve it', new AbortController().signal));
    await eventually('both cards shown', () => first!.approvals.length + second!.approvals.length, (n) => n === 2);
    for (const h of [first!, second!]) assert.match(h.approvals[0]!.confirmation, /and imports mle_step\.py from the workspace$/);
    a.give(false);
    await sends[0];
    assert.equal(finished(first!.events)?.status, 'denied');
    writeFileSync(join(second!.workspace, 'mle_step.py'), `${STEP}\nprint("changed after the card")\n`);
    b.give(true);
    await sends[1];
    const status = await eventually('the second call finished', () => finished(second!.events), (s) => s !== undefined);
    assert.equal(status?.status, 'error', JSON.stringify(status));
    assert.match(status?.summary ?? '', REFUSED);
    assert.equal(servers.running().length, 0);
  });

  it('one call run first leaves the other its own: the first serves its files, the other\'s changed module is refused', async () => {
    const [a, b] = [gate(), gate()];
    const [first, second] = await twoChats([a, b]);
    const sends = [first!, second!].map((h) => h.session.send('serve it', new AbortController().signal));
    await eventually('both cards shown', () => first!.approvals.length + second!.approvals.length, (n) => n === 2);
    a.give(true);
    await sends[0];
    const served = await eventually('the first call finished', () => finished(first!.events), (s) => s !== undefined);
    assert.equal(served?.status, 'done', JSON.stringify(served));
    // It runs its own workspace's approved file (the card of the other chat names the other workspace's).
    const env = JSON.parse(servers.running()[0]!.server.options.env!.MODEL_CODE_APPROVED!) as { root: string };
    assert.equal(env.root, first!.workspace);
    writeFileSync(join(second!.workspace, 'mle_step.py'), `${STEP}\nprint("changed after the card")\n`);
    b.give(true);
    await sends[1];
    const refused = await eventually('the second call finished', () => finished(second!.events), (s) => s !== undefined);
    assert.equal(refused?.status, 'error', JSON.stringify(refused));
    assert.match(refused?.summary ?? '', REFUSED);
  });
});

describe('serve_locally through Copilot: prepare and invoke share only the input, each card is still kept for a run', function () {
  this.timeout(120_000);

  /** A workspace holding the model and its module, with the folder toolset's serve_locally (as Copilot reaches it); removed after. */
  async function inWorkspace(body: (ws: string, tool: Tool, context: ToolContext) => Promise<void>): Promise<void> {
    const ws = mkdtempSync(join(tmpdir(), 'mle-serve-copilot-'));
    mkdirSync(join(ws, 'models'));
    writeFileSync(join(ws, 'mle_step.py'), `${STEP}\n`);
    execFileSync(PYTHON, ['-c', BUILD], { cwd: ws });
    const toolset = folderToolset({ folder: ws, python: PYTHON });
    try {
      await body(ws, toolset.tools.find((t) => t.name === 'serve_locally')!, toolset.context);
    } finally {
      await toolset.dispose();
      rmSync(ws, { recursive: true, force: true });
    }
  }
  const run = (tool: Tool, context: ToolContext) => tool.run({ ...INPUT }, context, new AbortController().signal);

  it('two cards on the same input: the first run leaves the second its card (a copy of the input each time, as Copilot sends)', () =>
    inWorkspace(async (ws, tool, context) => {
      for (let i = 0; i < 2; i++) assert.match((await prepareToolInvocation(tool, { ...INPUT }, context)).confirmation!.message, /and imports mle_step\.py/);
      writeFileSync(join(ws, 'mle_step.py'), `${STEP}\nprint("changed after both cards")\n`);
      for (let i = 0; i < 2; i++) await assert.rejects(run(tool, context), (e: Error) => REFUSED.test(e.message));
    }));

  it('a module edited between two cards: the first run takes the first card (refused), not the newer one still waiting', () =>
    inWorkspace(async (ws, tool, context) => {
      await prepareToolInvocation(tool, { ...INPUT }, context);
      writeFileSync(join(ws, 'mle_step.py'), `${STEP}\nprint("edited before the second card")\n`);
      assert.match((await prepareToolInvocation(tool, { ...INPUT }, context)).confirmation!.message, /and imports mle_step\.py/);
      // The first card approved: its run holds to the file as that card showed it, not the edit the second card shows.
      await assert.rejects(run(tool, context), (e: Error) => REFUSED.test(e.message));
      // The second card approved later: its run serves the edited file it showed.
      assert.match((await run(tool, context)).content, /^Serving deploy\/step-fastapi as server "step-fastapi"/);
    }));
});
