import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import type { AgentEvent } from '../../src/agent/agentEvents';
import { ApprovalBroker } from '../../src/agent/approvalBroker';
import type { ApprovalRequest } from '../../src/agent/agentSession';
import type { Tool } from '../../src/agent/tools/tool';
import { ConversationStore } from '../../src/chat/conversationStore';
import { rankMentions } from '../../src/chat/mentions';
import { expandMentions } from '../../src/chat/mentions';
import { parseFromWebview } from '../../src/chat/protocol';
import { applyAgentEvent, titleOf, type TranscriptItem } from '../../src/chat/transcript';

const tool = (name: string): Tool => ({ name, description: '', input: z.object({}), risk: 'execute', run: () => Promise.resolve({ content: '', summary: '' }) });
const request = (callId: string, name = 'run_command'): ApprovalRequest => ({ callId, tool: tool(name), input: {}, confirmation: 'Run: x' });

describe('chat core', () => {
  describe('approval broker', () => {
    it('approves only a pending call, once', async () => {
      const broker = new ApprovalBroker(() => []);
      const pending = broker.request(request('a'), new AbortController().signal);
      assert.equal(broker.answer('forged', true), false);
      assert.equal(broker.answer('a', true), true);
      assert.equal(await pending, true);
      assert.equal(broker.answer('a', true), false, 'a replay is refused');
    });

    it('remembers "allow for this chat" per tool until reset', async () => {
      const broker = new ApprovalBroker(() => []);
      const first = broker.request(request('a'), new AbortController().signal);
      broker.answer('a', true, 'conversation');
      assert.equal(await first, true);
      assert.equal(await broker.request(request('b'), new AbortController().signal), true, 'same tool: no question');
      const other = broker.request(request('c', 'propose_edit'), new AbortController().signal);
      assert.equal(broker.pendingRequest('c')?.tool.name, 'propose_edit', 'another tool still asks');
      broker.reset();
      assert.equal(await other, false, 'reset declines what was waiting');
      const again = broker.request(request('d'), new AbortController().signal);
      assert.ok(broker.pendingRequest('d'), 'allowances end with the conversation');
      broker.answer('d', false);
      assert.equal(await again, false);
    });

    it('lets the always-allow setting through and declines on cancel', async () => {
      assert.equal(await new ApprovalBroker(() => ['run_command']).request(request('a'), new AbortController().signal), true);
      const broker = new ApprovalBroker(() => []);
      const controller = new AbortController();
      const pending = broker.request(request('b'), controller.signal);
      controller.abort();
      assert.equal(await pending, false);
      assert.equal(broker.answer('b', true), false);
    });
  });

  describe('conversation store', () => {
    it('saves, lists newest first, loads and deletes; writes leave no temporary files', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mle-store-'));
      const store = new ConversationStore(dir);
      const a = store.create('claude-sonnet-5-5');
      a.items.push({ kind: 'user', id: 'u1', text: 'How do I validate a time series model?' });
      await store.save(a);
      const b = store.create('claude-sonnet-5-5');
      await new Promise((r) => setTimeout(r, 5));
      await store.save(b);
      assert.deepEqual((await store.list()).map((c) => c.id), [b.id, a.id]);
      assert.equal((await store.load(a.id))?.title, 'How do I validate a time series model?');
      await store.delete(b.id);
      assert.deepEqual((await store.list()).map((c) => c.id), [a.id]);
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    });

    it('keeps conversations private: 0600 files in a 0700 folder, and tightens ones an earlier version left readable', async function () {
      if (process.platform === 'win32') this.skip(); // POSIX modes
      const dir = join(mkdtempSync(join(tmpdir(), 'mle-store-')), 'conversations');
      mkdirSync(dir, { mode: 0o755 });
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'old-chat.json'), '{}', { mode: 0o644 });
      chmodSync(join(dir, 'old-chat.json'), 0o644);
      const store = new ConversationStore(dir);
      const a = store.create('m');
      await store.save(a);
      const mode = (path: string): number => statSync(path).mode & 0o777;
      assert.equal(mode(dir), 0o700);
      assert.equal(mode(join(dir, `${a.id}.json`)), 0o600);
      assert.equal(mode(join(dir, 'index.json')), 0o600);
      assert.equal(mode(join(dir, 'old-chat.json')), 0o600, 'an existing conversation is fixed too');
      const fresh = join(mkdtempSync(join(tmpdir(), 'mle-store-')), 'a', 'conversations');
      await new ConversationStore(fresh).save(store.create('m'));
      assert.equal(mode(fresh), 0o700, 'a new folder is private from the start');
    });

    it('repairs a conversation stored in a shape the API refuses when it is loaded', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mle-store-'));
      const repaired: string[][] = [];
      const store = new ConversationStore(dir, (_, repairs) => repaired.push([...repairs]));
      const a = store.create('m');
      // What a refusal and an answer cut after a tool call left behind before the fix.
      a.messages = [
        { role: 'user', content: [{ type: 'text', text: 'q1' }] },
        { role: 'assistant', content: [] },
        { role: 'user', content: [{ type: 'text', text: 'q2' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 't1', name: 'read_file', input: {} }] },
      ];
      await store.save(a);
      const loaded = await store.load(a.id);
      assert.deepEqual(loaded?.messages, [
        { role: 'user', content: [{ type: 'text', text: 'q1' }, { type: 'text', text: 'q2' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }] },
      ]);
      assert.equal(repaired.length, 1);
    });

    it('survives a damaged file: that conversation is skipped, the rest loads', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mle-store-'));
      const store = new ConversationStore(dir);
      const a = store.create('m');
      await store.save(a);
      writeFileSync(join(dir, `${a.id}.json`), '{"version": 1, "id": "truncat');
      assert.equal(await store.load(a.id), undefined);
      assert.equal(await store.load('../../etc/passwd'), undefined, 'ids are not paths');
      writeFileSync(join(dir, 'index.json'), 'not json');
      assert.deepEqual(await store.list(), []);
    });
  });

  it('attaches mentioned files and the selection after the text', async () => {
    const text = await expandMentions('Compare @train.py with @selection and @missing.py', {
      readFile: (path) => (path === 'train.py' ? Promise.resolve('lr = 0.1\n') : Promise.reject(new Error(`${path} does not exist.`))),
      selection: { path: 'model.py', startLine: 10, text: 'class Net: ...' },
    });
    assert.match(text, /^Compare @train\.py with @selection and @missing\.py\n\n/);
    assert.match(text, /<file path="train\.py">\nlr = 0\.1\n\n<\/file>/);
    assert.match(text, /<selection path="model\.py" start_line="10">\nclass Net: \.\.\.\n<\/selection>/);
    assert.match(text, /<file path="missing\.py" error="missing\.py does not exist\." \/>/);
    assert.equal(await expandMentions('no mentions, email me@example.com', { readFile: () => Promise.reject(new Error('x')), selection: undefined }), 'no mentions, email me@example.com');
  });

  it('builds the transcript from agent events: bubbles around tool cards, per-turn cost', () => {
    const items: TranscriptItem[] = [{ kind: 'user', id: 'u', text: 'Fix my data loader please' }];
    const events: AgentEvent[] = [
      { type: 'assistantStart', turnId: 't' },
      { type: 'textDelta', turnId: 't', text: 'Looking.' },
      { type: 'toolCall', turnId: 't', callId: 'c1', name: 'propose_edit', input: { path: 'a.py' }, risk: 'write', confirmation: 'Edit a.py', changePath: 'a.py' },
      { type: 'usage', turnId: 't', usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 90 }, costUsd: 0.01, conversationCostUsd: 0.01, contextTokens: 105 },
      { type: 'toolStatus', callId: 'c1', status: 'done', summary: 'Edited a.py (-1 +1)', output: 'ok' },
      { type: 'textDelta', turnId: 't', text: 'Done.' },
      { type: 'turnEnd', turnId: 't', reason: 'end_turn' },
    ];
    for (const e of events) applyAgentEvent(items, e);
    assert.deepEqual(items.map((i) => i.kind), ['user', 'assistant', 'tool', 'assistant']);
    const [, before, card, after] = items as [TranscriptItem, Extract<TranscriptItem, { kind: 'assistant' }>, Extract<TranscriptItem, { kind: 'tool' }>, Extract<TranscriptItem, { kind: 'assistant' }>];
    assert.equal(before.text, 'Looking.');
    assert.equal(card.status, 'done');
    assert.equal(card.hasDiff, true);
    assert.equal(after.text, 'Done.');
    assert.equal(after.streaming, false);
    assert.deepEqual(after.usage, { costUsd: 0.01, inputTokens: 100, outputTokens: 5, cachedTokens: 90 });
    assert.equal(titleOf(items), 'Fix my data loader please');
  });

  it('shows thinking while a block is open and keeps the request id of an error', () => {
    const items: TranscriptItem[] = [];
    applyAgentEvent(items, { type: 'assistantStart', turnId: 't' });
    applyAgentEvent(items, { type: 'thinking', turnId: 't', state: 'started' });
    assert.equal((items[0] as Extract<TranscriptItem, { kind: 'assistant' }>).thinkingNow, true);
    applyAgentEvent(items, { type: 'thinking', turnId: 't', state: 'stopped' });
    assert.equal((items[0] as Extract<TranscriptItem, { kind: 'assistant' }>).thinkingNow, undefined);
    applyAgentEvent(items, { type: 'notice', level: 'error', message: 'Not found (404): model: x.', requestId: 'req_1' });
    assert.equal((items[1] as Extract<TranscriptItem, { kind: 'notice' }>).requestId, 'req_1');
  });

  it('accepts the chat messages it expects and refuses malformed ones', () => {
    assert.equal(parseFromWebview({ type: 'send', text: 'hi' }).ok, true);
    assert.equal(parseFromWebview({ type: 'approve', callId: 'toolu_01', scope: 'conversation' }).ok, true);
    for (const bad of [
      { type: 'send', text: '' },
      { type: 'send', text: 'x'.repeat(200_001) },
      { type: 'approve', callId: 'toolu_01', scope: 'forever' },
      { type: 'approve', callId: '../../x', scope: 'once' },
      { type: 'openConversation', id: 'a b' },
      { type: 'selectModel', model: 'x; rm -rf /' },
    ]) {
      assert.equal(parseFromWebview(bad).ok, false, JSON.stringify(bad).slice(0, 80));
    }
  });
});

describe('@-mention ranking', () => {
  it('offers a file whose name starts with the query before deeper or looser matches', () => {
    const found = ['mlruns/412570119832766211/7c8d9e0f/metrics/train_loss', 'notebooks/pretrain_notes.md', 'models/train.py', 'train.py', 'lightning_logs/version_0/metrics.csv'];
    assert.deepEqual(rankMentions('trai', found).slice(0, 4), ['train.py', 'models/train.py', 'mlruns/412570119832766211/7c8d9e0f/metrics/train_loss', 'notebooks/pretrain_notes.md']);
    assert.equal(rankMentions('x', Array.from({ length: 50 }, (_, i) => `f${i}x`)).length, 20);
  });
});

