import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HeadlessReport } from '../../src/headless/headlessAgent';
import { startFakeMessagesApi, type FakeMessagesApi, type MessagesRequestBody, type Script } from '../support/fakeMessagesApi';
import { assertEveryNumberSourced, parseCard } from '../support/modelCardCheck';
import { northStarWorkspace } from '../support/northStarWorkspace';
import { runAsk, type Ran } from '../support/runAsk';

// The north star's first and last steps (issue #20) through `ml-engineer ask --allow write,execute`:
// the loopback Messages API plays a capable model with the tool inputs it would send (describe the
// data, then write the model card with a drift check of incoming data); the tools are real and
// run on a copy of examples/. What is checked is what the user is left with: the files, and an
// answer that claims only what the tools returned.

const repo = join(__dirname, '..', '..');

const ask = (args: string[], cwd: string, env: Record<string, string>): Promise<Ran> => runAsk(args, cwd, env);

/** The text of every tool result in the conversation so far, oldest first. */
function toolResults(request: MessagesRequestBody): string[] {
  return request.messages.flatMap((m) =>
    m.role === 'user' && typeof m.content !== 'string'
      ? m.content.filter((b) => b.type === 'tool_result').map((b) => JSON.stringify((b as { content?: unknown }).content))
      : [],
  );
}

describe('North star (#20) through ml-engineer ask: describe the data, then write the model card', function () {
  this.timeout(240_000);
  let server: FakeMessagesApi;
  let ws: string;

  before(async () => {
    server = await startFakeMessagesApi(() => ({ kind: 'message', blocks: [{ type: 'text', text: 'unused' }] }));
    ws = northStarWorkspace('mle-northstar-');
  });
  after(async () => {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('each step is a real tool call; the card left in the workspace sources every number and lists what it lacks', async () => {
    const transcript: Script = (request) => {
      const results = toolResults(request);
      if (results.length === 0) {
        return { kind: 'message', blocks: [{ type: 'text', text: 'First the data.' }, { type: 'tool_use', name: 'describe_dataset', input: { path: 'data/churn.csv' } }] };
      }
      if (results.length === 1) {
        return {
          kind: 'message',
          blocks: [
            { type: 'text', text: 'Target churned; metric ROC AUC on a stratified split. Now the model card, with a drift check of the incoming data.' },
            { type: 'tool_use', name: 'write_model_card', input: { model: 'models/churn_pipeline.joblib', reference: 'data/churn.csv', current: 'data/incoming.csv' } },
          ],
        };
      }
      // The answer repeats only what the card tool said.
      return { kind: 'message', blocks: [{ type: 'text', text: `Done. ${JSON.parse(results[1]!) as string}` }] };
    };
    server.setScript(transcript);
    const before = server.requests.length;
    const started = Date.now();
    const ran = await ask(['Build me a churn model card for models/churn_pipeline.joblib and tell me when the incoming data drifts.', '--folder', ws, '--allow', 'write,execute', '--json'], repo, {
      ANTHROPIC_API_KEY: 'sk-ant-test-key-0123456789',
      ANTHROPIC_BASE_URL: server.baseURL,
    });
    const wallMs = Date.now() - started;
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as HeadlessReport;
    assert.equal(report.ok, true, JSON.stringify(report.notices));
    assert.deepEqual(report.tool_calls.map((c) => [c.name, c.risk, c.status]), [['describe_dataset', 'read', 'done'], ['write_model_card', 'write', 'done']]);

    // Step 1: what describe_dataset told the model about churn.csv (its faults among it).
    const described = toolResults(server.requests.at(-1)!.body)[0]!;
    for (const column of ['days_since_cancellation', 'total_charges', 'plan', 'churned']) assert.match(described, new RegExp(column));
    assert.match(described, /5,?000/);

    // Step 2: the card, beside the model, every number sourced; the incoming data's drift in it.
    const cardPath = join(ws, 'models', 'MODEL_CARD.md');
    assert.ok(existsSync(cardPath));
    const card = parseCard(readFileSync(cardPath, 'utf8'));
    assert.ok(assertEveryNumberSourced(card) > 10);
    assert.match(card.section('Drift check').join('\n'), /Drifted: `monthly_charges`/);
    assert.match(card.section('Training data').join('\n'), /Drift check reference `churn\.csv`: 5000 rows\[\^\d+\]/);
    assert.ok(card.notFound.some((m) => m.startsWith('the training run: no run was given')), card.notFound.join('\n'));
    // The model was told the same: its answer lists what the card lacks.
    assert.match(report.text, /Wrote models\/MODEL_CARD\.md: \d+ sourced facts\.[\s\S]*Not found \(listed in the card\)/);
    // No other file was written in the workspace copy but the card (and the incoming data the test wrote).
    assert.equal(readFileSync(join(ws, 'data', 'churn.csv'), 'utf8'), readFileSync(join(repo, 'examples', 'data', 'churn.csv'), 'utf8'));

    const usage = report.usage;
    console.log(`      north star (headless): ${server.requests.length - before} requests, ${wallMs} ms; tokens in ${usage.input_tokens}, cache read ${usage.cache_read_input_tokens}, cache write ${usage.cache_creation_input_tokens}, out ${usage.output_tokens}`);
  });
});
