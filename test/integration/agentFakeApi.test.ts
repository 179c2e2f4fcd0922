import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { startFakeMessagesApi, type FakeMessagesApi, type MessagesRequestBody, type ScriptedReply } from '../support/fakeMessagesApi';

// The loopback server is only worth testing against if it refuses what the API refuses, in the
// API's words and shape; checked here through the real SDK, as the agent uses it.
const ok: ScriptedReply = { kind: 'message', blocks: [{ type: 'text', text: 'ok' }] };
type Params = Anthropic.MessageCreateParamsNonStreaming;

describe('the loopback Messages API behaves like the API', function () {
  let api: FakeMessagesApi;
  let client: Anthropic;
  beforeEach(async () => {
    api = await startFakeMessagesApi(() => ok);
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: api.baseURL, maxRetries: 0 });
  });
  afterEach(() => api.close());

  async function refusal(params: Record<string, unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
    const error = await client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, ...params } as unknown as Params).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Anthropic.APIError, `expected an API error, got ${String(error)}`);
    return error;
  }

  it('answers a broken conversation with 400, the error JSON and the request id', async () => {
    const e = await refusal({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 't', input: {} }] }, { role: 'user', content: 'next' }] });
    assert.equal(e.status, 400);
    assert.equal(e.type, 'invalid_request_error');
    assert.match(e.apiMessage ?? '', /^messages\.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1\./);
    assert.match(e.requestID ?? '', /^req_/);
    assert.deepEqual(e.error, { type: 'error', error: { type: 'invalid_request_error', message: e.apiMessage }, request_id: e.requestID });
  });

  for (const [what, params, pattern] of [
    ['an empty message', { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [] }, { role: 'user', content: 'r' }] }, /all messages must have non-empty content/],
    ['an empty text block', { messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, /text content blocks must be non-empty/],
    ['a tool_result without its tool_use', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }] }, /unexpected `tool_use_id` found in `tool_result` blocks: toolu_x/],
    ['an altered thinking block', { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'made up', signature: 'forged' }, { type: 'text', text: 'a' }] }, { role: 'user', content: 'r' }] }, /Invalid `signature` in `thinking` block/],
    ['five cache breakpoints', { system: [1, 2, 3, 4, 5].map((n) => ({ type: 'text', text: `part ${n}`, cache_control: { type: 'ephemeral' } })), messages: [{ role: 'user', content: 'q' }] }, /A maximum of 4 blocks with cache_control may be provided\. Found 5\./],
    ['no max_tokens', { max_tokens: undefined, messages: [{ role: 'user', content: 'q' }] }, /max_tokens: Field required/],
    ['a bad thinking type', { thinking: { type: 'sometimes' }, messages: [{ role: 'user', content: 'q' }] }, /thinking\.type/],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const e = await refusal(params);
      assert.equal(e.status, 400);
      assert.match(e.apiMessage ?? '', pattern);
    });
  }

  it('answers an unknown model with 404 not_found_error', async () => {
    const e = await refusal({ model: 'claude-imaginary-9', messages: [{ role: 'user', content: 'q' }] });
    assert.equal(e.status, 404);
    assert.equal(e.type, 'not_found_error');
    assert.equal(e.apiMessage, 'model: claude-imaginary-9');
  });

  it('answers an oversized prompt with "prompt is too long"', async () => {
    await api.close();
    api = await startFakeMessagesApi(() => ok, { contextWindow: 1000 });
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: api.baseURL, maxRetries: 0 });
    const e = await refusal({ messages: [{ role: 'user', content: 'word '.repeat(2000) }] });
    assert.match(e.apiMessage ?? '', /^prompt is too long: \d+ tokens > 1000 maximum$/);
  });

  it('takes back a thinking block it issued, unchanged, and refuses it without its thinking in the tool loop', async () => {
    api.setScript((_, i) => (i === 0 ? { kind: 'message', blocks: [{ type: 'thinking', thinking: 'plan' }, { type: 'tool_use', id: 'toolu_9', name: 't', input: {} }] } : ok));
    const tools = [{ name: 't', description: 'd', input_schema: { type: 'object' as const } }];
    const thinking = { type: 'adaptive' as const, display: 'summarized' as const };
    const first = await client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, thinking, tools, messages: [{ role: 'user', content: 'q' }] });
    const result = { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_9', content: 'r' }] };
    await client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, thinking, tools, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: first.content }, result] });
    const withoutThinking = first.content.filter((b) => b.type !== 'thinking');
    const e = await refusal({ thinking, tools, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: withoutThinking }, result] });
    assert.match(e.apiMessage ?? '', /a final `assistant` message must start with a thinking block/);
  });

  describe('prompt cache', () => {
    const prefix = (words: number): MessagesRequestBody['system'] => [{ type: 'text', text: 'word '.repeat(words), cache_control: { type: 'ephemeral' } }];
    async function usage(model: string, system: unknown, question = 'q'): Promise<{ cache_creation_input_tokens: number; cache_read_input_tokens: number }> {
      const message = await client.messages.create({ model, max_tokens: 10, system, messages: [{ role: 'user', content: question }] } as Params);
      return { cache_creation_input_tokens: message.usage.cache_creation_input_tokens ?? 0, cache_read_input_tokens: message.usage.cache_read_input_tokens ?? 0 };
    }

    it('writes a prefix only from the model\'s minimum length (1,024 tokens for Sonnet, 4,096 for Haiku 4.5)', async () => {
      // 'word ' is 5 characters; 4 characters a token.
      assert.equal((await usage('claude-sonnet-5-5', prefix(600))).cache_creation_input_tokens, 0, '~750 tokens: not cached');
      assert.ok((await usage('claude-sonnet-5-5', prefix(1000))).cache_creation_input_tokens > 1024);
      assert.equal((await usage('claude-haiku-4-5', prefix(1000))).cache_creation_input_tokens, 0, 'under Haiku 4.5\'s 4,096');
    });

    it('reads it for 5 minutes after its last use, then writes it again', async () => {
      const system = prefix(1000);
      const written = (await usage('claude-sonnet-5-5', system)).cache_creation_input_tokens;
      api.advanceClock(4 * 60 * 1000);
      assert.equal((await usage('claude-sonnet-5-5', system, 'another')).cache_read_input_tokens, written);
      api.advanceClock(4 * 60 * 1000); // 8 minutes after the write, 4 after the read: still there
      assert.equal((await usage('claude-sonnet-5-5', system, 'third')).cache_read_input_tokens, written);
      api.advanceClock(5 * 60 * 1000 + 1);
      const expired = await usage('claude-sonnet-5-5', system, 'fourth');
      assert.deepEqual([expired.cache_read_input_tokens, expired.cache_creation_input_tokens], [0, written]);
    });
  });

  it('streams in split TCP writes, with pings and an empty first JSON delta, that the SDK reassembles', async () => {
    const seen: string[] = [];
    api.setScript(() => ({ kind: 'message', blocks: [{ type: 'text', text: 'é'.repeat(50) }, { type: 'tool_use', name: 't', input: { a: 'ü' } }] }));
    const stream = await client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'q' }] });
    let text = '';
    for await (const event of stream) {
      seen.push(event.type === 'content_block_delta' ? event.delta.type : event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') assert.ok((event.usage?.input_tokens ?? 0) > 0, 'cumulative usage carries input tokens');
    }
    assert.equal(text, 'é'.repeat(50));
    assert.ok(seen.includes('input_json_delta'));
    assert.equal(seen.at(-1), 'message_stop');
  });
});
