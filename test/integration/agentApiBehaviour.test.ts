import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemPrompt } from '../../src/agent/systemPrompt';
import { ConversationStore } from '../../src/chat/conversationStore';
import type { AgentEvent } from '../../src/agent/agentEvents';
import { lastToolResults, type ScriptedReply } from '../support/fakeMessagesApi';
import { startHarness, textOf, type Harness } from './agentHarness';

// What the real API does that the happy path never shows (issue #14, "The agent against the
// real API"), against the loopback server that checks every request as the API does.
const text = (t: string, extra: Partial<Extract<ScriptedReply, { kind: 'message' }>> = {}): ScriptedReply => ({ kind: 'message', blocks: [{ type: 'text', text: t }], ...extra });
const notices = (events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'notice' }>[] => events.filter((e): e is Extract<AgentEvent, { type: 'notice' }> => e.type === 'notice');
const usages = (events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'usage' }>[] => events.filter((e): e is Extract<AgentEvent, { type: 'usage' }> => e.type === 'usage');

function assertAllAccepted(h: Harness): void {
  for (const [i, r] of h.server.requests.entries()) assert.equal(r.rejected, undefined, `request ${i} refused by the API: ${r.rejected?.message}`);
}

describe('the agent against what the real Messages API sends', function () {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  describe('refusals', () => {
    it('a refusal with no content at all is shown with its explanation, stored nowhere, and the chat goes on', async () => {
      h = await startHarness((_, i) =>
        i === 0 ? { kind: 'message', blocks: [], stopReason: 'refusal', stopDetails: { category: 'cyber', explanation: 'This request could enable cyber harm.' } } : text('Happy to help with that.'),
      );
      assert.equal(await h.session.send('first question', new AbortController().signal), 'refusal');
      const [notice] = notices(h.events);
      assert.equal(notice?.level, 'warning');
      assert.match(notice?.message ?? '', /declined to answer this request \(cyber\): This request could enable cyber harm/);
      assert.ok(h.session.messages.every((m) => m.content.length > 0), 'no empty message stored');
      assert.equal(await h.session.send('second question', new AbortController().signal), 'end_turn');
      assertAllAccepted(h);
      assert.equal(textOf(h.events), 'Happy to help with that.');
      assert.doesNotMatch(JSON.stringify(h.server.requests[1]!.body.messages), /first question/, 'the refused turn left the context');
    });

    it('a refusal without an explanation still says what happened', async () => {
      h = await startHarness(() => ({ kind: 'message', blocks: [{ type: 'text', text: '' }], stopReason: 'refusal', stopDetails: { category: null, explanation: null } }));
      assert.equal(await h.session.send('q', new AbortController().signal), 'refusal');
      assert.match(notices(h.events)[0]?.message ?? '', /^Claude declined to answer this request\. .*rephrase it, or start a new chat\.$/);
    });
  });

  describe('tool calls the answer did not get to run', () => {
    for (const stopReason of ['max_tokens', 'refusal'] as const) {
      it(`${stopReason} after complete parallel tool calls leaves no tool_use without its result`, async () => {
        h = await startHarness((_, i) =>
          i === 0
            ? {
                kind: 'message',
                blocks: [
                  { type: 'text', text: 'Reading both.' },
                  { type: 'tool_use', id: 'toolu_a', name: 'list_files', input: {} },
                  { type: 'tool_use', id: 'toolu_b', name: 'list_files', input: { path: '.' } },
                ],
                stopReason,
              }
            : text('ok'),
        );
        assert.equal(await h.session.send('look around', new AbortController().signal), stopReason);
        assert.ok(!JSON.stringify(h.session.messages).includes('tool_use'), 'no unanswered call stored');
        assert.equal(await h.session.send('and now?', new AbortController().signal), 'end_turn');
        assertAllAccepted(h);
        if (stopReason === 'max_tokens') assert.match(notices(h.events)[0]?.message ?? '', /cut off; its 2 tool calls were not run/);
      });
    }
  });

  it('a conversation stored broken by an earlier version is repaired when loaded, and the API takes it', async () => {
    const store = new ConversationStore(mkdtempSync(join(tmpdir(), 'mle-broken-')));
    const record = store.create('claude-sonnet-5-5');
    record.messages = [
      { role: 'user', content: [{ type: 'text', text: 'q1' }] },
      { role: 'assistant', content: [] },
      { role: 'user', content: [{ type: 'text', text: 'q2' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Reading both.' }, { type: 'tool_use', id: 'toolu_x', name: 'list_files', input: {} }, { type: 'tool_use', id: 'toolu_y', name: 'list_files', input: {} }] },
    ];
    await store.save(record);
    const loaded = await store.load(record.id);
    h = await startHarness(() => text('Continuing.'), { restored: loaded!.messages });
    assert.equal(await h.session.send('q3', new AbortController().signal), 'end_turn');
    assertAllAccepted(h);
  });

  describe('event: error inside a 200 stream', () => {
    it('before any output it is retried with a pause, like the HTTP error it stands for', async () => {
      h = await startHarness((_, i) => (i < 2 ? { kind: 'message', blocks: [{ type: 'text', text: 'never seen' }], errorEvent: { afterEvents: i, type: i === 0 ? 'overloaded_error' : 'api_error', message: 'Overloaded' } } : text('Answer after the retries.')), {
        retryDelaysMs: [150, 150, 150],
      });
      const started = Date.now();
      assert.equal(await h.session.send('hi', new AbortController().signal), 'end_turn');
      assert.ok(Date.now() - started >= 300, 'paused before each retry');
      assert.equal(h.server.requests.length, 3);
      assert.equal(textOf(h.events), 'Answer after the retries.');
      assert.deepEqual(notices(h.events), []);
    });

    it('when it lasts, the notice says it in words, with Retry and the request id', async () => {
      h = await startHarness(() => ({ kind: 'message', blocks: [], errorEvent: { afterEvents: 0, type: 'overloaded_error', message: 'Overloaded' } }));
      assert.equal(await h.session.send('hi', new AbortController().signal), 'error');
      assert.equal(h.server.requests.length, 4, 'the first try and three retries');
      const [notice] = notices(h.events);
      assert.match(notice?.message ?? '', /overloaded right now \(529\)/);
      assert.doesNotMatch(notice?.message ?? '', /[{}]/, 'no JSON shown');
      assert.equal(notice?.action, 'retry');
      assert.equal(notice?.requestId, h.server.requests.at(-1)!.requestId);
    });

    it('after output it is not retried: the partial answer is kept, and Retry continues the chat', async () => {
      h = await startHarness((_, i) => (i === 0 ? text('The first part of the answer, then', { chunkSize: 8, errorEvent: { afterEvents: 6, type: 'api_error', message: 'Internal server error' } }) : text(' the rest.')));
      assert.equal(await h.session.send('explain', new AbortController().signal), 'error');
      assert.equal(h.server.requests.length, 1);
      const [notice] = notices(h.events);
      assert.match(notice?.message ?? '', /The API failed \(500: Internal server error\)/);
      assert.equal(notice?.action, 'retry');
      assert.match(JSON.stringify(h.session.messages.at(-1)), /The first part/);
      assert.equal(await h.session.resume(new AbortController().signal), 'end_turn');
      assertAllAccepted(h);
    });
  });

  describe('usage', () => {
    it('a message_start without usage does not break the turn, and message_delta counts (cumulative) are the ones kept', async () => {
      h = await startHarness(() => text('fine', { omitStartUsage: true, finalUsage: { input_tokens: 5000, cache_read_input_tokens: 12000, cache_creation_input_tokens: 700, output_tokens: 42 } }));
      assert.equal(await h.session.send('hi', new AbortController().signal), 'end_turn');
      assert.deepEqual(usages(h.events)[0]?.usage, { input_tokens: 5000, output_tokens: 42, cache_creation_input_tokens: 700, cache_read_input_tokens: 12000 });
    });

    it('input and cache counts that grow during the message win over the start', async () => {
      h = await startHarness(() => text('fine', { usage: { input_tokens: 100, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, finalUsage: { input_tokens: 2100, cache_read_input_tokens: 900 } }));
      await h.session.send('hi', new AbortController().signal);
      const u = usages(h.events)[0]!.usage;
      assert.deepEqual([u.input_tokens, u.cache_read_input_tokens], [2100, 900]);
      assert.equal(h.session.totals.contextTokens, 2100 + 900 + u.output_tokens);
    });
  });

  describe('adaptive thinking', () => {
    it('asks Sonnet 5.5 for summarised thinking and streams it', async () => {
      h = await startHarness(() => ({ kind: 'message', blocks: [{ type: 'thinking', thinking: 'Compare the baselines first.' }, { type: 'text', text: 'Done.' }] }), { settings: { thinking: true } });
      await h.session.send('hi', new AbortController().signal);
      assert.deepEqual(h.server.requests[0]!.body.thinking, { type: 'adaptive', display: 'summarized' });
      assert.equal(h.events.filter((e) => e.type === 'thinkingDelta').map((e) => (e as { text: string }).text).join(''), 'Compare the baselines first.');
    });

    it('a thinking block that streams only its signature still shows that the model is thinking, and goes back unchanged', async () => {
      // The shape of display "omitted" (a gateway's model the agent cannot ask for summaries): the block opens, a signature arrives, it closes.
      const omitted = [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_omitted","type":"message","role":"assistant","model":"claude-sonnet-5-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":900,"output_tokens":1}}}\n\n',
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCkYIBxgCIkB0omitted"}}\n\n',
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
        'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_t","name":"list_files","input":{}}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}\n\n',
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n',
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":30}}\n\n',
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      ].join('');
      h = await startHarness((_, i) => (i === 0 ? { kind: 'raw', sse: omitted } : text('listed')), { settings: { thinking: true } });
      await h.session.send('list', new AbortController().signal);
      const thinking = h.events.filter((e): e is Extract<AgentEvent, { type: 'thinking' }> => e.type === 'thinking').map((e) => e.state);
      assert.deepEqual(thinking, ['started', 'stopped']);
      assertAllAccepted(h);
      const sentBack = h.server.requests[1]!.body.messages.at(-2)!.content as { type: string }[];
      assert.deepEqual(sentBack[0], { type: 'thinking', thinking: '', signature: 'EqQBCkYIBxgCIkB0omitted' });
    });
  });

  describe('errors said in words, with the request id', () => {
    it('404 for an unknown model', async () => {
      h = await startHarness(() => text('never'), { settings: { model: 'claude-nope-1' } });
      assert.equal(await h.session.send('hi', new AbortController().signal), 'error');
      const [notice] = notices(h.events);
      assert.equal(notice?.message, 'Not found (404): model: claude-nope-1. Check the model picked for this chat and mlEngineer.anthropic.baseUrl.');
      assert.equal(notice?.requestId, h.server.requests[0]!.requestId);
      assert.match(notice?.requestId ?? '', /^req_/);
      assert.equal(notice?.action, undefined);
    });

    it('400 prompt is too long', async () => {
      h = await startHarness(() => text('never'), { api: { contextWindow: 1500 } });
      assert.equal(await h.session.send('x'.repeat(4000), new AbortController().signal), 'error');
      const [notice] = notices(h.events);
      assert.match(notice?.message ?? '', /^The conversation no longer fits the model's context window \(prompt is too long: \d+ tokens > 1500 maximum\)/);
      assert.doesNotMatch(notice?.message ?? '', /[{}]/);
      assert.equal(notice?.requestId, h.server.requests[0]!.requestId);
    });
  });

  it('reads the base URL at each request: a session built before the gateway setting arrived reaches the gateway once it has', async () => {
    // After a window reload the extension host can start with the default configuration; the
    // user's mlEngineer.anthropic.baseUrl arrives a moment later (the e2e "Connection error." flake).
    const nothingThere = await new Promise<string>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(`http://127.0.0.1:${port}`));
      });
    });
    let settingArrived = false;
    h = await startHarness(() => text('through the gateway'), { maxRetries: 0, retryDelaysMs: [400, 400, 400], baseURL: (server) => (settingArrived ? server.baseURL : nothingThere) });
    setTimeout(() => (settingArrived = true), 200);
    assert.equal(await h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.equal(textOf(h.events), 'through the gateway');
  });

  describe('speculative prompt caching', () => {
    const prompt = systemPrompt({ folders: ['ws'], frameworks: ['torch'], python: '3.11.2 (/usr/bin/python3)' });

    it('a warm-up while the user types lets the first request read tools, system prompt and workspace facts from the cache', async () => {
      h = await startHarness(() => text('answer'), { systemPrompt: prompt });
      assert.equal(await h.session.warmCache(new AbortController().signal), true);
      const warm = h.server.requests[0]!.body;
      assert.equal(warm.max_tokens, 1);
      assert.equal(await h.session.warmCache(new AbortController().signal), false, 'not again while the prefix is fresh');
      await h.session.send('first question', new AbortController().signal);
      assertAllAccepted(h);
      const [warmUsage, first] = usages(h.events).map((e) => e.usage);
      assert.ok(warmUsage!.cache_creation_input_tokens > 1024, 'the warm-up wrote the stable prefix');
      assert.equal(first!.cache_read_input_tokens, warmUsage!.cache_creation_input_tokens, 'the first request read all of it');
      assert.equal(textOf(h.events), 'answer', 'the warm-up shows nothing');
      assert.equal(h.session.messages.length, 2, 'and adds nothing to the conversation');
      assert.ok(h.session.totals.costUsd > 0 && usages(h.events)[0]!.turnId === 'warm-up', 'its cost counts');
    });

    it('sends nothing when the prefix is shorter than the model caches', async () => {
      h = await startHarness(() => text('answer'), { systemPrompt: prompt, settings: { model: 'claude-haiku-4-5' } });
      assert.equal(await h.session.warmCache(new AbortController().signal), false);
      assert.equal(h.server.requests.length, 0);
    });
  });

  describe('context budget against the real usage', () => {
    it('corrects its 4-characters-a-token estimate with the tokens the API counted, and trims before the window is passed', async () => {
      // Code and JSON run near 2 characters a token; the window is 30k tokens, the agent's budget 26k.
      const big = `${'def f(x): return x * 2  # '.repeat(3)}\n`.repeat(240);
      h = await startHarness((request, i) => (i < 3 ? { kind: 'message', blocks: [{ type: 'tool_use', name: 'read_file', input: { path: `big${i}.py` } }] } : text(`done with ${lastToolResults(request).length}`)), {
        files: { 'big0.py': big, 'big1.py': big, 'big2.py': big },
        settings: { contextBudgetTokens: 26_000 },
        api: { charsPerToken: 2, contextWindow: 30_000 },
      });
      assert.equal(await h.session.send('read the three files', new AbortController().signal), 'end_turn');
      assertAllAccepted(h);
      assert.ok(h.events.some((e) => e.type === 'notice' && /Trimmed/.test(e.message)), 'trimmed before the API refused');
      const counted = usages(h.events).map((u) => u.usage.input_tokens + u.usage.cache_creation_input_tokens + u.usage.cache_read_input_tokens);
      assert.ok(Math.max(...counted) <= 30_000, `largest request ${Math.max(...counted)} tokens`);
    });
  });
});
