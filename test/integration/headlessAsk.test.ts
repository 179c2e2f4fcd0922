import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeadlessReport } from '../../src/headless/headlessAgent';
import { folderToolset } from '../../src/toolset/folderToolset';
import { lastToolResults, startFakeMessagesApi, type FakeMessagesApi, type Script } from '../support/fakeMessagesApi';
import { runAsk, type Ran } from '../support/runAsk';

// `ml-engineer ask` as a script runs it: the real CLI in a child process (stdin a pipe, so no
// terminal to ask), the real Anthropic SDK against the loopback Messages API.

const repo = join(__dirname, '..', '..');

const ask = (args: string[], env: Record<string, string | undefined>): Promise<Ran> => runAsk(args, repo, { ANTHROPIC_API_KEY: undefined, ANTHROPIC_BASE_URL: undefined, ...env });

describe('Headless agent (ml-engineer ask) against the loopback Messages API', function () {
  this.timeout(120_000);
  let server: FakeMessagesApi;
  let folder: string;
  let env: Record<string, string>;

  const use = (script: Script): void => server.setScript(script);
  // First a tool call, then an answer that quotes what the tool returned.
  const toolThenEcho = (name: string, input: unknown): Script => (request) =>
    lastToolResults(request).length === 0
      ? { kind: 'message', blocks: [{ type: 'text', text: 'Let me do that.' }, { type: 'tool_use', name, input }] }
      : { kind: 'message', blocks: [{ type: 'text', text: `Result: ${lastToolResults(request).map((r) => `${r.is_error ? 'ERROR ' : ''}${JSON.stringify(r.content)}`).join(' | ')}` }] };

  before(async () => {
    server = await startFakeMessagesApi(() => ({ kind: 'message', blocks: [{ type: 'text', text: 'unused' }] }));
    env = { ANTHROPIC_API_KEY: 'sk-ant-test-key-0123456789', ANTHROPIC_BASE_URL: server.baseURL };
  });
  after(() => server.close());
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'mle-ask-'));
    writeFileSync(join(folder, 'notes.md'), 'the learning rate was 3e-4\n');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('streams the answer to stdout and exits 0; the request carries the toolset and the workspace', async () => {
    use(() => ({ kind: 'message', blocks: [{ type: 'text', text: 'The best run is mlp-hidden16.' }], chunkSize: 4, delayMs: 5 }));
    const before = server.requests.length;
    const ran = await ask(['which run is best?', '--folder', folder], env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'The best run is mlp-hidden16.\n');
    const request = server.requests[before]!.body as { model: string; tools: { name: string }[]; system: unknown; messages: { content: unknown }[] };
    assert.equal(request.model, 'claude-sonnet-5-5');
    assert.ok(request.tools.some((t) => t.name === 'list_runs') && request.tools.some((t) => t.name === 'run_in_kernel'), JSON.stringify(request.tools.map((t) => t.name)));
    // Every tool of the folder's toolset, the chat's list (TOOL_FEATURES), in its order.
    const toolset = folderToolset({ folder });
    assert.deepEqual(request.tools.map((t) => t.name), toolset.tools.map((t) => t.name));
    await toolset.dispose();
    assert.match(JSON.stringify(request.system), new RegExp(folder.split('/').at(-1)!));
    assert.match(JSON.stringify(request.messages[0]!.content), /which run is best\?/);
  });

  it('a write tool allowed by --allow write runs without asking; its call is printed on stderr', async () => {
    use(toolThenEcho('create_file', { path: 'plan.md', content: 'step 1\n' }));
    const ran = await ask(['write a plan', '--folder', folder, '--allow', 'write'], env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(readFileSync(join(folder, 'plan.md'), 'utf8'), 'step 1\n');
    assert.match(ran.stderr, /→ create_file \{"path":"plan\.md","content":"step 1\\n"\}\n {2}✓ /);
    assert.match(ran.stdout, /^Let me do that\.\nResult: "Created plan\.md/);
  });

  it('without the flag a write or run is refused (no terminal to ask): nothing is written or run, the model is told', async () => {
    use(toolThenEcho('create_file', { path: 'plan.md', content: 'x' }));
    const write = await ask(['write a plan', '--folder', folder], env);
    assert.equal(write.code, 0, write.stderr);
    assert.equal(existsSync(join(folder, 'plan.md')), false);
    assert.match(write.stderr, /refused create_file: no terminal to ask \(--allow write allows it\)/);
    assert.match(write.stdout, /Result: ERROR "The user declined this action/);

    // --allow write does not allow execute.
    use(toolThenEcho('run_command', { command: 'touch ran.txt' }));
    const run = await ask(['touch a file', '--folder', folder, '--allow', 'write'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(existsSync(join(folder, 'ran.txt')), false);
    assert.match(run.stderr, /refused run_command: no terminal to ask \(--allow execute allows it\)/);
  });

  it('--json prints one report: text, tool calls with their outcome, usage', async () => {
    use(toolThenEcho('read_file', { path: 'notes.md' }));
    const ran = await ask(['what was the learning rate?', '--folder', folder, '--json'], env);
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as HeadlessReport;
    assert.equal(report.ok, true);
    assert.equal(report.stop_reason, 'end_turn');
    assert.match(report.text, /^Let me do that\.Result: .*3e-4/);
    assert.deepEqual(report.tool_calls.map((c) => [c.name, c.risk, c.status, c.input]), [['read_file', 'read', 'done', { path: 'notes.md' }]]);
    assert.ok(report.usage.input_tokens + report.usage.cache_read_input_tokens + report.usage.cache_creation_input_tokens > 0 && report.usage.output_tokens > 0, JSON.stringify(report.usage));
    assert.equal(ran.stderr, '');
  });

  it('exit codes: 1 when the API fails (the reason said, and in --json), 2 for usage errors', async () => {
    // A model the API does not serve: a 404 the SDK does not retry.
    const failed = await ask(['hi', '--folder', folder, '--model', 'claude-nope'], env);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /error: Not found \(404\): model: claude-nope/);
    assert.match(failed.stderr, /ml-engineer ask: stopped \(error\)/);
    assert.equal(failed.stdout, '');
    use(() => ({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'messages: too many tools' }));
    const json = await ask(['hi', '--folder', folder, '--json'], env);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as HeadlessReport;
    assert.equal(report.ok, false);
    assert.equal(report.stop_reason, 'error');
    assert.ok(report.notices.some((n) => n.level === 'error' && /too many tools/.test(n.message)), JSON.stringify(report.notices));

    const noKey = await ask(['hi', '--folder', folder], { ANTHROPIC_BASE_URL: server.baseURL });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /set ANTHROPIC_API_KEY/);
    const badAllow = await ask(['hi', '--allow', 'everything'], env);
    assert.equal(badAllow.code, 2);
    assert.match(badAllow.stderr, /--allow takes read, write, execute; not everything/);
    const noPrompt = await ask(['--folder', folder], env);
    assert.equal(noPrompt.code, 2);
  });
});
