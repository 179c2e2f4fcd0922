import { buildSync } from 'esbuild';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod/mini';
import type { AgentEvent } from '../../src/agent/agentEvents';
import { systemPrompt } from '../../src/agent/systemPrompt';
import { defineTool } from '../../src/agent/tools/tool';
import type * as ToolInputErrors from '../../src/agent/tools/toolInputError';
import { lastToolResults, lastUserText, type ScriptedReply } from '../support/fakeMessagesApi';
import { eventually } from '../support/eventually';
import { startHarness, textOf, type Harness } from './agentHarness';

const text = (t: string, extra: Partial<Extract<ScriptedReply, { kind: 'message' }>> = {}): ScriptedReply => ({ kind: 'message', blocks: [{ type: 'text', text: t }], ...extra });
const toolUse = (name: string, input: unknown, id?: string): ScriptedReply => ({ kind: 'message', blocks: [{ type: 'text', text: `Using ${name}.` }, { type: 'tool_use', name, input, ...(id ? { id } : {}) }] });

describe('agent session against the loopback Messages API (real SDK)', function () {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('streams text in order, keeps the answer and counts tokens and cost', async () => {
    h = await startHarness(() => text('Start with a **baseline**: predict the majority class.', { usage: { input_tokens: 1000, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } }));
    const reason = await h.session.send('What should I try first?', new AbortController().signal);
    assert.equal(reason, 'end_turn');
    assert.equal(textOf(h.events), 'Start with a **baseline**: predict the majority class.');
    assert.ok(h.events.filter((e) => e.type === 'textDelta').length > 2, 'streamed in several deltas');
    assert.deepEqual(h.session.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: 'Start with a **baseline**: predict the majority class.' }] });
    const usage = h.events.find((e): e is Extract<AgentEvent, { type: 'usage' }> => e.type === 'usage');
    assert.equal(usage?.usage.input_tokens, 1000);
    // Sonnet list price: $3 in, $15 out per million.
    assert.equal(usage?.costUsd.toFixed(6), (1000 * 3e-6 + 20 * 15e-6).toFixed(6));
    const request = h.server.requests[0]!;
    // The SDK sends the key as x-api-key or, in newer versions, as a bearer token.
    assert.ok(request.headers['x-api-key'] === 'sk-ant-test-key-0123456789' || request.headers.authorization === 'Bearer sk-ant-test-key-0123456789');
    assert.equal(request.body.stream, true);
  });

  it('runs several read tools in one turn without asking, and sends every result back', async () => {
    h = await startHarness(
      (request, i) => {
        if (i === 0) return { kind: 'message', blocks: [{ type: 'tool_use', id: 'toolu_a', name: 'read_file', input: { path: 'train.py' } }, { type: 'tool_use', id: 'toolu_b', name: 'list_files', input: {} }] };
        return text(`Results: ${lastToolResults(request).length}`);
      },
      { files: { 'train.py': 'import torch\nprint("hi")\n' } },
    );
    assert.equal(await h.session.send('Look at my training script', new AbortController().signal), 'end_turn');
    assert.equal(h.approvals.length, 0, 'read tools never ask');
    const results = lastToolResults(h.server.requests[1]!.body);
    assert.deepEqual(results.map((r) => r.tool_use_id), ['toolu_a', 'toolu_b']);
    assert.match(String(results[0]!.content), /1 {2}import torch/);
    assert.match(String(results[1]!.content), /train\.py/);
    assert.equal(results[0]!.is_error, undefined);
    assert.equal(textOf(h.events).endsWith('Results: 2'), true);
  });

  it('asks before a write; a declined edit changes nothing, an approved one is applied', async () => {
    const script = (_: unknown, i: number): ScriptedReply =>
      i % 2 === 0 ? toolUse('propose_edit', { path: 'train.py', old_text: 'lr = 0.1', new_text: 'lr = 3e-4' }) : text('ok');
    let allow = false;
    h = await startHarness(script, { files: { 'train.py': 'lr = 0.1\n' }, approve: () => allow });
    await h.session.send('Lower the learning rate', new AbortController().signal);
    assert.equal(h.approvals.length, 1);
    assert.equal(h.approvals[0]!.confirmation, 'Edit train.py');
    assert.deepEqual([h.approvals[0]!.change?.before, h.approvals[0]!.change?.after], ['lr = 0.1\n', 'lr = 3e-4\n']);
    assert.equal(readFileSync(join(h.workspace, 'train.py'), 'utf8'), 'lr = 0.1\n');
    const declined = lastToolResults(h.server.requests[1]!.body)[0]!;
    assert.equal(declined.is_error, true);
    assert.match(String(declined.content), /declined/);

    allow = true;
    await h.session.send('Please do it', new AbortController().signal);
    assert.equal(readFileSync(join(h.workspace, 'train.py'), 'utf8'), 'lr = 3e-4\n');
    assert.equal(lastToolResults(h.server.requests[3]!.body)[0]!.is_error, undefined);
  });

  it('returns input errors to the model as is_error results (bad input, unknown tool, path outside)', async () => {
    h = await startHarness((request, i) => {
      if (i === 0)
        return {
          kind: 'message',
          blocks: [
            { type: 'tool_use', id: 't1', name: 'read_file', input: { path: 42 } },
            { type: 'tool_use', id: 't2', name: 'rm_rf', input: {} },
            { type: 'tool_use', id: 't3', name: 'read_file', input: { path: '../../etc/passwd' } },
            { type: 'tool_use', id: 't4', name: 'read_file', input: { path: '/etc/passwd' } },
          ],
        };
      return text(`${lastToolResults(request).filter((r) => r.is_error).length} errors`);
    });
    await h.session.send('go', new AbortController().signal);
    const results = lastToolResults(h.server.requests[1]!.body);
    assert.deepEqual(results.map((r) => r.is_error), [true, true, true, true]);
    assert.match(String(results[0]!.content), /Invalid input for read_file: path/);
    assert.match(String(results[1]!.content), /no tool named rm_rf/);
    assert.match(String(results[2]!.content), /outside the workspace/);
    assert.match(String(results[3]!.content), /outside the workspace/);
  });

  it("returns a feature tool's input error to the model as it is, though the feature is a bundle of its own", async () => {
    // The kernels' tools run from dist/features/kernels.js, with their own copy of ToolInputError: built the same way here.
    const bundle = join(mkdtempSync(join(tmpdir(), 'mle-bundle-')), 'kernels.js');
    buildSync({ entryPoints: [join(__dirname, '../../src/agent/tools/toolInputError.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'error' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle built above
    const { ToolInputError } = require(bundle) as typeof ToolInputErrors;
    const runCell = defineTool({
      name: 'run_cell',
      description: 'Runs code in the kernel.',
      input: z.object({ code: z.string() }),
      risk: 'read',
      run: () => Promise.reject(new ToolInputError('No notebook with an ML Engineer kernel is open; open one first.')),
    });
    h = await startHarness((request, i) => (i === 0 ? toolUse('run_cell', { code: '1+1' }) : text(String(lastToolResults(request)[0]?.content))), { extraTools: [runCell] });
    await h.session.send('run it', new AbortController().signal);
    const result = lastToolResults(h.server.requests[1]!.body)[0]!;
    assert.equal(result.is_error, true);
    assert.equal(result.content, 'No notebook with an ML Engineer kernel is open; open one first.', 'said to the model as the tool said it, not as a failure of ours');
  });

  it('refuses a symlink that leads out of the workspace', async () => {
    h = await startHarness((request, i) => (i === 0 ? toolUse('read_file', { path: 'escape/passwd' }) : text(String(lastToolResults(request)[0]?.content))));
    symlinkSync('/etc', join(h.workspace, 'escape'));
    await h.session.send('read it', new AbortController().signal);
    assert.match(textOf(h.events), /through a symbolic link/);
  });

  it('honours retry-after on 429 and then answers', async () => {
    h = await startHarness((_, i) => (i === 0 ? { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '1' } } : text('after the wait')));
    const started = Date.now();
    assert.equal(await h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.ok(Date.now() - started >= 900, `retried after ${Date.now() - started} ms`);
    assert.equal(h.server.requests.length, 2);
    assert.equal(textOf(h.events), 'after the wait');
  });

  it('gives up on a lasting 529 with a clear message, keeping the conversation', async () => {
    h = await startHarness(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after-ms': '10' } }), { maxRetries: 2 });
    assert.equal(await h.session.send('hi', new AbortController().signal), 'error');
    assert.equal(h.server.requests.length, 3);
    const notice = h.events.find((e): e is Extract<AgentEvent, { type: 'notice' }> => e.type === 'notice');
    assert.match(notice?.message ?? '', /overloaded right now \(529\)/);
    assert.equal(notice?.action, 'retry');
    assert.deepEqual(h.session.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it('keeps the partial answer when the stream drops, and can resume', async () => {
    h = await startHarness((_, i) => (i === 0 ? text('The first part of a long answer that', { dropAfterEvents: 4, chunkSize: 8 }) : text(' and the rest.')));
    assert.equal(await h.session.send('explain', new AbortController().signal), 'error');
    const partial = h.session.messages.at(-1)!;
    assert.equal(partial.role, 'assistant');
    assert.match(JSON.stringify(partial.content), /The first part/);
    assert.match(h.events.filter((e) => e.type === 'notice').map((e) => (e as { message: string }).message).join(), /dropped|ended before/);
    assert.equal(await h.session.resume(new AbortController().signal), 'end_turn');
    assert.equal(h.session.messages.at(-2)?.role, 'user', 'resume adds a user turn so roles alternate');
  });

  it('reports a malformed event clearly and keeps what arrived', async () => {
    h = await startHarness(() => text('Some text before the bad event arrives here.', { malformedAfterEvents: 4, chunkSize: 8 }));
    assert.equal(await h.session.send('hi', new AbortController().signal), 'error');
    const notice = h.events.find((e): e is Extract<AgentEvent, { type: 'notice' }> => e.type === 'notice');
    assert.match(notice?.message ?? '', /could not be read|dropped/);
    assert.equal(h.session.messages.at(-1)?.role, 'assistant');
  });

  it('stops mid-stream on cancel, keeps the partial answer and sends nothing more', async () => {
    h = await startHarness(() => text('x'.repeat(2000), { delayMs: 5, chunkSize: 10 }));
    const controller = new AbortController();
    const pending = h.session.send('long answer please', controller.signal);
    // Cancelled once the answer has begun (a fixed wait could end before it starts, or after it ends, on a loaded machine).
    await eventually('the first words of the answer', () => textOf(h!.events).length, (n) => n > 0, { timeoutMs: 10_000, everyMs: 5 });
    controller.abort();
    assert.equal(await pending, 'cancelled');
    const kept = JSON.stringify(h.session.messages.at(-1)?.content);
    assert.ok(kept.length > 20 && kept.length < 2000, 'a partial answer is kept');
    assert.equal(h.server.requests.length, 1);
  });

  it('cancelling while a command runs kills it and answers every tool call', async () => {
    h = await startHarness(
      () => ({ kind: 'message', blocks: [{ type: 'tool_use', id: 'c1', name: 'run_command', input: { command: 'sleep 30' } }, { type: 'tool_use', id: 'c2', name: 'read_file', input: { path: 'x' } }] }),
      { approve: () => true },
    );
    const controller = new AbortController();
    const pending = h.session.send('run it', controller.signal);
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    controller.abort();
    assert.equal(await pending, 'cancelled');
    assert.ok(Date.now() - started < 5000);
    const last = h.session.messages.at(-1)!;
    assert.deepEqual(last.content.map((b) => (b as { tool_use_id: string }).tool_use_id), ['c1', 'c2']);
  });

  it('stops a loop of identical tool calls and asks', async () => {
    h = await startHarness(() => toolUse('list_files', { path: '.' }));
    assert.equal(await h.session.send('list', new AbortController().signal), 'loop');
    assert.equal(h.server.requests.length, 3);
    assert.ok(h.events.some((e) => e.type === 'notice' && e.action === 'continue-after-loop'));
  });

  it('stops at the cost cap before the next request, and continues when raised', async () => {
    h = await startHarness(() => text('pricey', { usage: { input_tokens: 200_000, output_tokens: 1000 } }), { settings: { costCapUsd: 0.5 } });
    await h.session.send('one', new AbortController().signal);
    assert.equal(await h.session.send('two', new AbortController().signal), 'cost_cap');
    assert.equal(h.server.requests.length, 1);
    h.session.raiseCostCap();
    assert.equal(await h.session.resume(new AbortController().signal), 'end_turn');
    assert.equal(h.server.requests.length, 2);
  });

  it('marks system, tools and the conversation end as cache breakpoints', async () => {
    h = await startHarness((_, i) => (i === 0 ? toolUse('list_files', {}) : text('done')));
    await h.session.send('hi', new AbortController().signal);
    for (const { body } of h.server.requests) {
      assert.deepEqual((body.system as { cache_control?: unknown }[]).at(-1)?.cache_control, { type: 'ephemeral' });
      assert.deepEqual(body.tools?.at(-1)?.cache_control, { type: 'ephemeral' });
      assert.equal(body.tools?.slice(0, -1).some((t) => t.cache_control), false);
      const lastBlock = (body.messages.at(-1)!.content as { cache_control?: unknown }[]).at(-1);
      assert.deepEqual(lastBlock?.cache_control, { type: 'ephemeral' });
    }
    assert.equal(h.session.messages.some((m) => JSON.stringify(m).includes('cache_control')), false, 'stored conversation stays clean');
  });

  it('keeps thinking blocks, with their signatures, in the follow-up request after a tool call', async () => {
    h = await startHarness(
      (_, i) =>
        i === 0
          ? { kind: 'message', blocks: [{ type: 'thinking', thinking: 'Check the data first.', signature: 'sig-abc' }, { type: 'tool_use', name: 'list_files', input: {} }] }
          : text('done'),
      { settings: { thinking: true } },
    );
    await h.session.send('hi', new AbortController().signal);
    const second = h.server.requests[1]!.body;
    // Sonnet 5.5 omits thinking unless asked: the summary is requested so the user sees it.
    assert.deepEqual(second.thinking, { type: 'adaptive', display: 'summarized' });
    const assistant = second.messages.at(-2)!;
    assert.deepEqual((assistant.content as { type: string }[])[0], { type: 'thinking', thinking: 'Check the data first.', signature: 'sig-abc' });
  });

  it('trims old tool outputs when the context passes its budget', async () => {
    const big = `${'x'.repeat(99)}\n`.repeat(400);
    h = await startHarness((request, i) => (i < 3 ? toolUse('read_file', { path: `big${i}.txt` }) : text(lastUserText(request) || 'done')), {
      files: { 'big0.txt': big, 'big1.txt': big, 'big2.txt': big },
      settings: { contextBudgetTokens: 15_000 },
    });
    await h.session.send('read them', new AbortController().signal);
    const last = JSON.stringify(h.server.requests.at(-1)!.body.messages);
    assert.match(last, /Earlier tool output removed/);
    assert.ok(h.events.some((e) => e.type === 'notice' && /Trimmed/.test(e.message)));
  });

  it('refuses notebook cell edits outside the editor, where there is no notebook API', async () => {
    h = await startHarness((request, i) => (i === 0 ? toolUse('edit_notebook_cell', { path: 'a.ipynb', cell_index: 0, mode: 'replace', new_source: 'x' }) : text(String(lastToolResults(request)[0]?.content))), {
      files: { 'a.ipynb': '{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}' },
      approve: () => true,
    });
    await h.session.send('edit', new AbortController().signal);
    assert.match(textOf(h.events), /only be edited inside the editor/);
    assert.equal(h.approvals.length, 0, 'nothing to approve: it failed before asking');
  });

  it('offers only read tools in an untrusted workspace', async () => {
    h = await startHarness(() => text('ok'), { trusted: false });
    await h.session.send('hi', new AbortController().signal);
    const names = h.server.requests[0]!.body.tools!.map((t) => t.name).sort();
    assert.deepEqual(names, ['list_files', 'read_file', 'read_notebook', 'search_workspace']);
  });

  it('writes files atomically and keeps their mode', async () => {
    h = await startHarness((_, i) => (i === 0 ? toolUse('create_file', { path: 'sub/new.py', content: 'print(1)\n' }) : text('ok')), { approve: () => true });
    writeFileSync(join(h.workspace, 'existing.txt'), 'x');
    await h.session.send('create', new AbortController().signal);
    assert.equal(readFileSync(join(h.workspace, 'sub/new.py'), 'utf8'), 'print(1)\n');
  });
});

describe('prompt caching over a tool loop', () => {
  it('reads most input from the cache once the prefix is stable', async () => {
    const { startHarness: start } = await import('./agentHarness');
    const h = await start((_, i) => (i < 9 ? toolUse('read_file', { path: 'notes.md', start_line: i + 1 }) : text('done')), {
      files: { 'notes.md': Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') },
      // The chat's real system prompt: with the tools it passes the 1,024-token minimum the API caches.
      systemPrompt: systemPrompt({ folders: ['ws'], frameworks: ['torch', 'scikit-learn'], python: '3.11.2 (/usr/bin/python3)' }),
    });
    try {
      await h.session.send('read the notes line by line', new AbortController().signal);
      const usages = h.events.filter((e): e is Extract<AgentEvent, { type: 'usage' }> => e.type === 'usage');
      assert.equal(usages.length, 10);
      assert.equal(usages[0]!.usage.cache_read_input_tokens, 0, 'nothing cached before the first request');
      const later = usages.slice(1);
      assert.ok(later.every((u) => u.usage.cache_read_input_tokens > 0), 'every later request reads the cache');
      const share = h.session.totals.usage.cache_read_input_tokens / (h.session.totals.usage.input_tokens + h.session.totals.usage.cache_creation_input_tokens + h.session.totals.usage.cache_read_input_tokens);
      assert.ok(share > 0.8, `cached share ${share.toFixed(3)}`);
    } finally {
      await h.close();
    }
  });
});

describe('context budget', () => {
  it('summarises the older half when trimming tool outputs is not enough, keeping the roles valid', async () => {
    const { startHarness: start } = await import('./agentHarness');
    const long = (n: number): string => `Question ${n}: ${'details about the dataset and the metric '.repeat(60)}`;
    const h = await start(
      (request) => {
        if ((request.tools ?? []).length === 0) return text('SUMMARY: binary classification, AUC is the metric, baseline 0.71.');
        return text(`answer ${request.messages.length}`);
      },
      { settings: { contextBudgetTokens: 3000 } },
    );
    try {
      for (let i = 0; i < 5; i++) await h.session.send(long(i), new AbortController().signal);
      const summaryRequests = h.server.requests.filter((r) => (r.body.tools ?? []).length === 0);
      assert.ok(summaryRequests.length >= 1, 'a summary was asked for');
      assert.match(JSON.stringify(summaryRequests[0]!.body.messages), /Question 0/);
      const last = h.server.requests.at(-1)!.body;
      assert.match(JSON.stringify(last.messages[0]), /\[Summary of the earlier conversation\]\\nSUMMARY: binary classification/);
      assert.deepEqual(last.messages.map((m) => m.role), last.messages.map((_, i) => (i % 2 === 0 ? 'user' : 'assistant')), 'roles alternate');
      assert.match(JSON.stringify(last.messages.at(-1)), /Question 4/);
      assert.ok(h.events.some((e) => e.type === 'notice' && /Summarised \d+ earlier messages/.test(e.message)));
    } finally {
      await h.close();
    }
  });
});
