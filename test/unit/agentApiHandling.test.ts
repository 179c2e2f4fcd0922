import assert from 'node:assert/strict';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from '../../src/agent/chatMessage';
import { isValid, repairConversation } from '../../src/agent/conversationRepair';
import { describeApiError } from '../../src/agent/messagesApi';
import { minCacheableTokens, thinkingDisplayFor } from '../../src/agent/models';
import { StreamAccumulator } from '../../src/agent/streamAccumulator';

const events = (...list: unknown[]): RawMessageStreamEvent[] => list as RawMessageStreamEvent[];

describe('stream accumulator against what the API and gateways send', () => {
  it('takes a message_start without usage and the cumulative counts of message_delta', () => {
    const acc = new StreamAccumulator();
    for (const e of events(
      { type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', content: [], model: 'x', stop_reason: null, stop_sequence: null } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 11, output_tokens: 1, cache_creation_input_tokens: 3, cache_read_input_tokens: 5 } },
    )) acc.apply(e);
    assert.deepEqual(acc.usage, { input_tokens: 11, output_tokens: 1, cache_creation_input_tokens: 3, cache_read_input_tokens: 5 });
    assert.equal(acc.stopReason, 'end_turn');
  });

  it('keeps the refusal details and stores nothing for an empty refusal', () => {
    const acc = new StreamAccumulator();
    for (const e of events(
      { type: 'message_start', message: { usage: { input_tokens: 20, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'refusal', stop_sequence: null, stop_details: { type: 'refusal', category: 'cyber', explanation: 'Refused.' } }, usage: { output_tokens: 120 } },
    )) acc.apply(e);
    assert.equal(acc.stopReason, 'refusal');
    assert.deepEqual(acc.stopDetails, { category: 'cyber', explanation: 'Refused.' });
    assert.deepEqual(acc.content(), []);
    assert.equal(acc.hasOutput(), false);
  });

  it('signals a thinking block that brings only a signature, and never keeps thinking as a whole answer', () => {
    const acc = new StreamAccumulator();
    const applied = events(
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      { type: 'content_block_stop', index: 0 },
    ).map((e) => acc.apply(e));
    assert.deepEqual(applied, [{ blockIndex: 0, thinkingStarted: true }, undefined, { blockIndex: 0, thinkingStopped: true }]);
    assert.deepEqual(acc.content(), [], 'thinking alone is not an answer');
    acc.apply(events({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 't', name: 'n', input: {} } })[0]!);
    acc.apply(events({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } })[0]!);
    acc.apply(events({ type: 'content_block_stop', index: 1 })[0]!);
    assert.deepEqual(acc.content(), [{ type: 'thinking', thinking: '', signature: 'sig' }, { type: 'tool_use', id: 't', name: 'n', input: {} }]);
    assert.deepEqual(acc.content({ withToolCalls: false }), [], 'without the call only thinking is left: nothing to keep');
  });
});

describe('API errors said in words', () => {
  it('an event: error inside a stream stands for its HTTP status and is retryable, with the request id', () => {
    // What SDK 1.x throws for `event: error`: status undefined, the body, the type, the stream's headers.
    const error = Object.assign(new Error('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'), {
      name: 'APIError',
      status: undefined,
      type: 'overloaded_error',
      apiMessage: 'Overloaded',
      requestID: 'req_abc',
      error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    const d = describeApiError(error);
    assert.deepEqual(d, { message: 'The API is overloaded right now (529). Your conversation is kept; try again shortly.', retryable: true, requestId: 'req_abc', status: 529, sdkRetried: false });
  });

  it('a 400 says the API message, not its JSON', () => {
    const error = Object.assign(new Error('400 {"type":"error","error":{"type":"invalid_request_error","message":"messages: text content blocks must be non-empty"}}'), {
      status: 400,
      apiMessage: 'messages: text content blocks must be non-empty',
      requestID: 'req_1',
    });
    const d = describeApiError(error);
    assert.equal(d.message, 'The API rejected the request (400): messages: text content blocks must be non-empty');
    assert.equal(d.requestId, 'req_1');
    assert.equal(d.sdkRetried, true);
  });

  it('a dropped connection names its cause', () => {
    const error = Object.assign(new Error('Connection error.'), { name: 'APIConnectionError', cause: Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }) });
    const d = describeApiError(error);
    assert.equal(d.message, 'The connection to the API dropped (Connection error.: ECONNRESET read ECONNRESET). The partial answer is kept; try again.');
    assert.equal(d.retryable, true);
  });
});

describe('conversation repair', () => {
  const user = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });
  const assistant = (...content: ChatMessage['content']): ChatMessage => ({ role: 'assistant', content });

  it('drops the empty answer a refusal left and the calls an answer cut off left unanswered', () => {
    const broken: ChatMessage[] = [
      user('q1'),
      assistant(),
      user('q2'),
      assistant({ type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 'a', name: 'read_file', input: {} }, { type: 'tool_use', id: 'b', name: 'read_file', input: {} }),
      user('q3'),
      assistant({ type: 'text', text: '' }),
    ];
    assert.equal(isValid(broken), false);
    const { messages, repairs } = repairConversation(broken);
    assert.ok(isValid(messages));
    assert.deepEqual(messages, [
      { role: 'user', content: [{ type: 'text', text: 'q1' }, { type: 'text', text: 'q2' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }] },
      user('q3'),
    ]);
    assert.ok(repairs.length >= 4, repairs.join('; '));
  });

  it('drops a tool result whose call is gone and keeps tool results first when merging', () => {
    const { messages } = repairConversation([
      user('q'),
      assistant({ type: 'tool_use', id: 'a', name: 't', input: {} }),
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'ok' }, { type: 'tool_result', tool_use_id: 'zzz', content: 'orphan' }] },
      { role: 'user', content: [{ type: 'text', text: 'and?' }] },
    ]);
    assert.deepEqual(messages.at(-1), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'ok' }, { type: 'text', text: 'and?' }] });
    assert.ok(isValid(messages));
  });

  it('leaves a valid conversation as it is', () => {
    const fine: ChatMessage[] = [user('q'), assistant({ type: 'thinking', thinking: 't', signature: 's' }, { type: 'text', text: 'a' })];
    assert.deepEqual(repairConversation(fine), { messages: fine, repairs: [] });
  });
});

describe('model capabilities', () => {
  it('asks for summarised thinking only where the model takes the display field', () => {
    for (const m of ['claude-sonnet-5-5', 'claude-opus-5-5', 'claude-haiku-5-5', 'claude-opus-4-7', 'claude-sonnet-4-6', 'claude-fable-5']) assert.equal(thinkingDisplayFor(m), 'summarized', m);
    for (const m of ['claude-sonnet-4-5', 'claude-3-7-sonnet-20250219', 'my-gateway-model']) assert.equal(thinkingDisplayFor(m), undefined, m);
  });

  it('knows the shortest prefix each model caches', () => {
    assert.equal(minCacheableTokens('claude-sonnet-5-5'), 1024);
    assert.equal(minCacheableTokens('claude-haiku-4-5'), 4096);
    assert.equal(minCacheableTokens('claude-3-haiku-20240307'), 2048);
  });
});
