import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import type { AgentEvent } from '../../src/agent/agentEvents';
import { defineTool } from '../../src/agent/tools/tool';
import { lastToolResults, lastUserText, type ScriptedReply } from '../support/fakeMessagesApi';
import { startHarness, textOf, type Harness } from './agentHarness';

// Streams the Anthropic SDKs' own test suites recorded from the API (test/fixtures/anthropic-streams/SOURCES.md),
// replayed byte for byte through the loopback server to the real SDK and the agent.
const fixtures = join(__dirname, '../fixtures/anthropic-streams');
const recorded = (name: string): ScriptedReply => ({ kind: 'raw', sse: readFileSync(join(fixtures, name), 'utf8') });
const BASIC = 'anthropic-sdk-typescript/basic_response.txt';

// The tool the recorded streams call, so a call reaches its input check.
const getWeather = defineTool({
  name: 'get_weather',
  description: 'The weather at a place.',
  input: z.object({ location: z.string(), unit: z.optional(z.string()) }),
  risk: 'read',
  run: (input) => Promise.resolve({ content: `Sunny in ${input.location}, 21 °C`, summary: 'sunny' }),
});

const usages = (events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'usage' }>[] => events.filter((e): e is Extract<AgentEvent, { type: 'usage' }> => e.type === 'usage');
const notices = (events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'notice' }>[] => events.filter((e): e is Extract<AgentEvent, { type: 'notice' }> => e.type === 'notice');

describe('recorded API streams replayed through the real SDK and the agent', function () {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a plain answer with a ping among the events (typescript basic_response)', async () => {
    h = await startHarness(() => recorded(BASIC));
    assert.equal(await h.session.send('Say hello there!', new AbortController().signal), 'end_turn');
    assert.equal(textOf(h.events), 'Hello there!');
    assert.deepEqual(h.session.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: 'Hello there!' }] });
    assert.deepEqual(usages(h.events).map((u) => [u.usage.input_tokens, u.usage.output_tokens]), [[11, 6]]);
  });

  it('a tool call whose JSON starts with an empty delta is run and answered (typescript tool_use_response)', async () => {
    h = await startHarness((_, i) => (i === 0 ? recorded('anthropic-sdk-typescript/tool_use_response.txt') : recorded(BASIC)), { extraTools: [getWeather] });
    assert.equal(await h.session.send('Weather in Paris?', new AbortController().signal), 'end_turn');
    const second = h.server.requests[1]!;
    assert.equal(second.rejected, undefined, `the API refused the follow-up: ${second.rejected?.message}`);
    const call = second.body.messages.at(-2)!.content as { type: string; id?: string; input?: unknown }[];
    assert.deepEqual(call.at(-1), { type: 'tool_use', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', name: 'get_weather', input: { location: 'Paris' } });
    const [result] = lastToolResults(second.body);
    assert.equal(result?.tool_use_id, 'toolu_01NRLabsLyVHZPKxbKvkfSMn');
    assert.equal(result?.content, 'Sunny in Paris, 21 °C');
  });

  it('max_tokens inside a tool call keeps the text, drops the unfinished call, and the next request is valid (typescript incomplete_partial_json_response)', async () => {
    h = await startHarness((_, i) => (i === 0 ? recorded('anthropic-sdk-typescript/incomplete_partial_json_response.txt') : recorded(BASIC)));
    assert.equal(await h.session.send('Write my tax guide to taxes.txt', new AbortController().signal), 'max_tokens');
    assert.match(notices(h.events)[0]?.message ?? '', /token limit/);
    const kept = h.session.messages.at(-1)!;
    assert.deepEqual(kept.content.map((b) => b.type), ['text']);
    assert.match(JSON.stringify(kept.content), /comprehensive tax guide/);
    assert.equal(await h.session.send('Go on', new AbortController().signal), 'end_turn');
    assert.equal(h.server.requests[1]!.rejected, undefined, `the API refused the follow-up: ${h.server.requests[1]!.rejected?.message}`);
  });

  it('event: error as the first event of a 200 stream is retried before anything is shown (typescript streaming.test.ts)', async () => {
    h = await startHarness((_, i) => (i === 0 ? recorded('anthropic-sdk-typescript/streaming-test-error-event.txt') : recorded(BASIC)));
    assert.equal(await h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.equal(h.server.requests.length, 2);
    assert.equal(textOf(h.events), 'Hello there!');
    assert.deepEqual(notices(h.events), [], 'nothing to tell the user: the retry worked');
  });

  it('an empty refusal is shown with its explanation and never stored; the chat goes on (python refusal_response)', async () => {
    h = await startHarness((_, i) => (i === 0 ? recorded('anthropic-sdk-python/refusal_response.txt') : recorded(BASIC)));
    assert.equal(await h.session.send('Something the classifier refuses', new AbortController().signal), 'refusal');
    const [notice] = notices(h.events);
    assert.match(notice?.message ?? '', /declined.*\(cyber\): This request was refused due to policy/);
    assert.deepEqual(h.session.messages, [], 'the refused turn leaves the context');
    assert.equal(await h.session.send('Something else', new AbortController().signal), 'end_turn');
    const next = h.server.requests[1]!;
    assert.equal(next.rejected, undefined, `the API refused the next request: ${next.rejected?.message}`);
    assert.deepEqual(next.body.messages.map((m) => m.role), ['user']);
    assert.equal(lastUserText(next.body), 'Something else');
  });

  it('a message_start without usage (as gateways send) takes the counts from message_delta (python missing_usage_response)', async () => {
    h = await startHarness(() => recorded('anthropic-sdk-python/missing_usage_response.txt'));
    assert.equal(await h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.equal(textOf(h.events), 'hi');
    assert.deepEqual(usages(h.events)[0]?.usage, { input_tokens: 11, output_tokens: 1, cache_creation_input_tokens: 3, cache_read_input_tokens: 5 });
  });

  it('usage given only at the start is kept when message_delta carries output tokens alone (python message_delta_omitted_usage_response)', async () => {
    h = await startHarness(() => recorded('anthropic-sdk-python/message_delta_omitted_usage_response.txt'));
    await h.session.send('hi', new AbortController().signal);
    assert.deepEqual(usages(h.events)[0]?.usage, { input_tokens: 25, output_tokens: 8, cache_creation_input_tokens: 10, cache_read_input_tokens: 5 });
    assert.equal(h.session.totals.contextTokens, 25 + 10 + 5 + 8);
  });

  it('a tool call with invalid JSON input gets an error result the API accepts (python tool_use_invalid_json_response)', async () => {
    h = await startHarness((_, i) => (i === 0 ? recorded('anthropic-sdk-python/tool_use_invalid_json_response.txt') : recorded(BASIC)), { extraTools: [getWeather] });
    assert.equal(await h.session.send('Weather?', new AbortController().signal), 'end_turn');
    const second = h.server.requests[1]!;
    assert.equal(second.rejected, undefined, `the API refused the follow-up: ${second.rejected?.message}`);
    const [result] = lastToolResults(second.body);
    assert.equal(result?.is_error, true);
    assert.match(String(result?.content), /not valid JSON/);
  });
});
