import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { z } from 'zod/mini';
import type { AgentEvent } from '../../src/agent/agentEvents';
import type { ModelProvider } from '../../src/agent/providers/modelProvider';
import { IMAGE_LEFT_OUT } from '../../src/agent/providers/contentText';
import { openaiCompatibleProvider } from '../../src/agent/providers/openai/openaiCompatibleProvider';
import { defineTool, type Tool } from '../../src/agent/tools/tool';
import { startFakeChatCompletions, type ChatReply, type ChatScript, type FakeChatCompletions } from '../support/fakeChatCompletions';
import { startHarness, textOf, type Harness } from './agentHarness';

const say = (text: string, extra: Partial<Extract<ChatReply, { kind: 'message' }>> = {}): ChatReply => ({ kind: 'message', text, ...extra });
const call = (name: string, args: unknown, extra: Partial<Extract<ChatReply, { kind: 'message' }>> = {}): ChatReply => ({ kind: 'message', text: `Using ${name}.`, calls: [{ name, arguments: args }], ...extra });
const notices = (events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'notice' }>[] => events.filter((e): e is Extract<AgentEvent, { type: 'notice' }> => e.type === 'notice');
type Msg = { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string };
const messagesOf = (chat: FakeChatCompletions, i: number): Msg[] => chat.requests.filter((r) => r.path === '/v1/chat/completions' && !r.rejected)[i]!.body.messages as Msg[];

// A 1x1 PNG, as a plot from the kernel would come back.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const plotTool = defineTool({
  name: 'show_plot',
  description: 'Returns the training curve as an image.',
  input: z.object({}),
  risk: 'read',
  run: () => Promise.resolve({ content: 'loss curve, 10 epochs', summary: 'plot', images: [{ mediaType: 'image/png' as const, data: PNG }] }),
});

describe('OpenAI-compatible provider: the real openai SDK against a loopback Chat Completions server', function () {
  let chat: FakeChatCompletions | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    await chat?.close();
    h = undefined;
    chat = undefined;
  });

  async function start(script: ChatScript, options: { apiKey?: string; serverKey?: string; model?: string; maxRetries?: number; approve?: boolean; extraTools?: readonly Tool[]; files?: Record<string, string> } = {}): Promise<{ h: Harness; provider: ModelProvider }> {
    chat = await startFakeChatCompletions(script, options.serverKey ? { apiKey: options.serverKey } : {});
    const server = chat;
    const provider = openaiCompatibleProvider(OpenAI, () => ({ baseURL: server.baseURL, ...(options.apiKey ? { apiKey: options.apiKey } : {}), maxRetries: options.maxRetries ?? 2 }));
    h = await startHarness(() => ({ kind: 'message', blocks: [{ type: 'text', text: 'the Anthropic server is not used here' }] }), {
      provider: () => provider,
      settings: { model: options.model ?? 'qwen3:8b', thinking: true },
      approve: () => options.approve ?? false,
      ...(options.extraTools ? { extraTools: options.extraTools } : {}),
      ...(options.files ? { files: options.files } : {}),
    });
    return { h, provider };
  }

  it('streams text, sends no key, no cache markers and no thinking, asks for usage, and says the cost is unknown', async () => {
    const { h } = await start(() => say('Start with a baseline: logistic regression.', { cachedTokens: 7 }));
    assert.equal(await h.session.send('What first?', new AbortController().signal), 'end_turn');
    assert.equal(textOf(h.events), 'Start with a baseline: logistic regression.');
    assert.ok(h.events.filter((e) => e.type === 'textDelta').length > 3, 'streamed in several deltas');
    const request = chat!.requests[0]!;
    assert.equal(request.headers.authorization, undefined, 'no Authorization header without a key');
    assert.equal(request.body.stream, true);
    assert.deepEqual(request.body.stream_options, { include_usage: true });
    assert.equal(JSON.stringify(request.body).includes('cache_control'), false);
    assert.equal(request.body.thinking, undefined);
    const [system, user] = request.body.messages as Msg[];
    assert.deepEqual([system!.role, user!.role, user!.content], ['system', 'user', 'What first?']);
    const usage = h.events.find((e): e is Extract<AgentEvent, { type: 'usage' }> => e.type === 'usage')!;
    assert.ok(usage.usage.input_tokens > 0 && usage.usage.output_tokens > 0);
    assert.equal(usage.usage.cache_read_input_tokens, 7, 'cached prompt tokens count as cache reads');
    assert.equal(usage.costUnknown, true);
    assert.equal(h.session.totals.costUnknown, true);
    assert.deepEqual(h.session.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: 'Start with a baseline: logistic regression.' }] });
  });

  it('runs a tool call streamed in fragments and answers it with a tool message the server accepts', async () => {
    const { h } = await start((_b, i) => (i === 0 ? call('read_file', { path: 'train.py' }, { chunkSize: 3 }) : say('It trains for 10 epochs.')), { files: { 'train.py': 'EPOCHS = 10\n' } });
    assert.equal(await h.session.send('How long does it train?', new AbortController().signal), 'end_turn');
    assert.equal(chat!.requests.every((r) => !r.rejected), true, JSON.stringify(chat!.requests.map((r) => r.rejected)));
    const second = messagesOf(chat!, 1);
    const assistant = second.find((m) => m.role === 'assistant')!;
    assert.equal(assistant.tool_calls?.[0]?.function.name, 'read_file');
    assert.deepEqual(JSON.parse(assistant.tool_calls[0].function.arguments), { path: 'train.py' });
    const tool = second.find((m) => m.role === 'tool')!;
    assert.equal(tool.tool_call_id, assistant.tool_calls[0].id);
    assert.match(String(tool.content), /EPOCHS = 10/);
    assert.equal(textOf(h.events), 'Using read_file.It trains for 10 epochs.');
    const tools = chat!.requests[0]!.body.tools as { type: string; function: { name: string; parameters: { type: string } } }[];
    assert.ok(tools.every((t) => t.type === 'function' && t.function.parameters.type === 'object'), 'tools sent as functions with JSON Schema parameters');
  });

  it('asks before a write; a declined call is answered as declined and nothing is written', async () => {
    const { h } = await start((_b, i) => (i === 0 ? call('create_file', { path: 'notes.md', content: 'x' }) : say('Understood.')), { approve: false });
    assert.equal(await h.session.send('Write notes', new AbortController().signal), 'end_turn');
    assert.equal(h.approvals.length, 1);
    assert.equal(h.approvals[0]!.tool.name, 'create_file');
    assert.match(String(messagesOf(chat!, 1).find((m) => m.role === 'tool')!.content), /declined/);
    assert.equal(existsSync(join(h.workspace, 'notes.md')), false);
  });

  it('reads several tool calls in one turn, also from a server that sends no index (some Ollama builds)', async () => {
    for (const omitToolIndex of [false, true]) {
      const { h } = await start((_b, i) =>
        i === 0
          ? { kind: 'message', calls: [{ name: 'read_file', arguments: { path: 'a.txt' } }, { name: 'read_file', arguments: { path: 'b.txt' } }], omitToolIndex, finishReason: omitToolIndex ? 'stop' : 'tool_calls' }
          : say('done'),
        { files: { 'a.txt': 'alpha', 'b.txt': 'beta' } },
      );
      assert.equal(await h.session.send('read both', new AbortController().signal), 'end_turn', `omitToolIndex ${omitToolIndex}`);
      const tools = messagesOf(chat!, 1).filter((m) => m.role === 'tool').map((m) => String(m.content));
      assert.equal(tools.length, 2);
      assert.match(tools[0]!, /alpha/);
      assert.match(tools[1]!, /beta/);
      await h.close();
      await chat!.close();
    }
    h = undefined;
    chat = undefined;
  });

  it('sends the key as a bearer token; a refused key is said with the command to set it, and not retried', async () => {
    let run = await start(() => say('ok'), { apiKey: 'sk-local-123', serverKey: 'sk-local-123' });
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.equal(chat!.requests[0]!.headers.authorization, 'Bearer sk-local-123');
    await h!.close();
    await chat!.close();
    run = await start(() => say('ok'), { apiKey: 'sk-wrong', serverKey: 'sk-local-123' });
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'error');
    const [notice] = notices(run.h.events);
    assert.match(notice!.message, /refused the API key \(401/);
    assert.match(notice!.message, /Set OpenAI-Compatible Endpoint API Key/);
    assert.equal(notice!.action, undefined, 'no retry offered');
    assert.equal(chat!.requests.length, 1, 'a 401 is not retried');
  });

  it('waits as a 429 asks (retry-after) and goes on; still limited after the retries, it says so and offers a retry', async () => {
    const limited: ChatReply = { kind: 'error', status: 429, message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded', headers: { 'retry-after': '0' } };
    let run = await start((_b, i) => (i === 0 ? limited : say('after the wait')));
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.equal(textOf(run.h.events), 'after the wait');
    assert.equal(chat!.requests.length, 2, 'the SDK retried once');
    await h!.close();
    await chat!.close();
    run = await start(() => limited, { maxRetries: 1 });
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'error');
    const [notice] = notices(run.h.events);
    assert.match(notice!.message, /Rate limited by http:\/\/127\.0\.0\.1:\d+\/v1 \(429, rate_limit_exceeded\)/);
    assert.match(notice!.message, /retry-after 0/);
    assert.equal(notice!.action, 'retry');
    assert.equal(chat!.requests.length, 2, 'the SDK retried once, the session not again (the SDK had)');
  });

  it('an invalid tool schema gets the API 400, said as a tool definition problem', async () => {
    const { provider } = await start(() => say('unused'));
    const request = {
      model: 'qwen3:8b',
      max_tokens: 100,
      system: [{ type: 'text' as const, text: 'sys' }],
      tools: [{ name: 'bad_tool', description: 'x', input_schema: { type: 'object' as const, properties: { n: { type: 'integr' } } } }],
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }],
    };
    let caught: unknown;
    try {
      for await (const _event of provider.stream(request, new AbortController().signal)) void _event;
    } catch (error) {
      caught = error;
    }
    assert.equal((caught as { status?: number }).status, 400);
    assert.equal(chat!.requests[0]!.rejected?.code, 'invalid_function_parameters');
    const described = provider.describeError!(caught);
    assert.match(described.message, /rejected the tool definitions or a tool call \(400, tools\[0\]\.function\.parameters\): Invalid schema for function 'bad_tool'/);
    assert.equal(described.retryable, false);
  });

  it('a stream cut after text keeps the partial answer; a cut before any output is retried by itself', async () => {
    let run = await start(() => say('The first part of a long answer', { cutAfterChunks: 4 }));
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'error');
    assert.ok(textOf(run.h.events).length > 0);
    assert.deepEqual(run.h.session.messages.at(-1)?.role, 'assistant', 'the partial answer is kept');
    const [notice] = notices(run.h.events);
    assert.match(notice!.message, /connection to http:\/\/127\.0\.0\.1:\d+\/v1 dropped/);
    assert.equal(notice!.action, 'retry');
    await h!.close();
    await chat!.close();
    run = await start((_b, i) => (i === 0 ? say('lost', { cutAfterChunks: 1 }) : say('whole answer')));
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.equal(textOf(run.h.events), 'whole answer');
    assert.equal(chat!.requests.length, 2);
  });

  it('an error object inside the 200 stream is said, not taken for an answer', async () => {
    const { h } = await start(() => say('Partial', { errorAfterChunks: { after: 3, message: 'The server had an error while processing your request.', code: 'server_error' } }));
    assert.equal(await h.session.send('hi', new AbortController().signal), 'error');
    assert.match(notices(h.events)[0]!.message, /server had an error/);
  });

  it('sends a tool image to a vision model, and to a text-only model sends the request again without it', async () => {
    let run = await start((_b, i) => (i === 0 ? call('show_plot', {}) : say('The loss falls.')), { model: 'llava:13b', extraTools: [plotTool] });
    assert.equal(await run.h.session.send('show the curve', new AbortController().signal), 'end_turn');
    const second = messagesOf(chat!, 1);
    const toolIndex = second.findIndex((m) => m.role === 'tool');
    assert.equal(second[toolIndex]!.content, 'loss curve, 10 epochs');
    const after = second[toolIndex + 1]!;
    assert.equal(after.role, 'user', 'the image follows the tool message in a user message');
    assert.ok((after.content as { type: string; image_url?: { url: string } }[]).some((p) => p.type === 'image_url' && p.image_url!.url === `data:image/png;base64,${PNG}`));
    await h!.close();
    await chat!.close();

    run = await start((_b, i) => (i === 0 ? call('show_plot', {}) : say('I cannot see it, but the text says 10 epochs.')), { model: 'qwen3:8b', extraTools: [plotTool] });
    assert.equal(await run.h.session.send('show the curve', new AbortController().signal), 'end_turn');
    const rejected = chat!.requests.filter((r) => r.rejected);
    assert.equal(rejected.length, 1);
    assert.match(rejected[0]!.rejected!.message, /image_url is only supported by certain models/);
    const resent = JSON.stringify(messagesOf(chat!, 1));
    assert.ok(resent.includes(IMAGE_LEFT_OUT) && !resent.includes('image_url'));
    assert.equal(textOf(run.h.events).endsWith('the text says 10 epochs.'), true);
  });

  it('shows reasoning text as thinking and never sends it back', async () => {
    for (const field of ['reasoning_content', 'reasoning'] as const) {
      const { h } = await start((_b, i) => (i === 0 ? say('Use AdamW.', { reasoning: { field, text: 'The user trains a transformer.' } }) : say('ok')));
      await h.session.send('optimizer?', new AbortController().signal);
      const thinking = h.events.filter((e): e is Extract<AgentEvent, { type: 'thinkingDelta' }> => e.type === 'thinkingDelta').map((e) => e.text).join('');
      assert.equal(thinking, 'The user trains a transformer.', field);
      await h.session.send('thanks', new AbortController().signal);
      assert.equal(JSON.stringify(chat!.requests[1]!.body).includes('transformer.'), false);
      await h.close();
      await chat!.close();
    }
    h = undefined;
    chat = undefined;
  });

  it('a cut-off answer (finish_reason length) is said, an unknown model gets a 404 in words, models are listed', async () => {
    let run = await start(() => say('Long', { finishReason: 'length' }));
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'max_tokens');
    assert.match(notices(run.h.events)[0]!.message, /was cut off/);
    assert.deepEqual(await run.provider.listModels(), ['llava:13b', 'qwen3:8b']);
    await h!.close();
    await chat!.close();
    run = await start(() => say('unused'), { model: 'llama9:70b' });
    assert.equal(await run.h.session.send('hi', new AbortController().signal), 'error');
    assert.match(notices(run.h.events)[0]!.message, /Not found at .* \(404\): The model `llama9:70b` does not exist.*ollama list/);
  });

});
