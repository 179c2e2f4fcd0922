import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MODELS, omitsThinkingByDefault } from './fakeApiModels';
import { validateRequest, type ApiErrorReply, type RequestLedger } from './fakeApiValidation';
import { PromptCacheModel } from './fakePromptCache';

export { MODELS } from './fakeApiModels';
export { PromptCacheModel } from './fakePromptCache';

/**
 * A loopback server of our own that behaves like the Anthropic Messages API at the SDK's
 * baseURL. It checks every request as the API does (fakeApiValidation.ts) and answers a bad one
 * with the API's status, error JSON and `request-id` header; it streams as the API does (a
 * `ping` after `message_start`, a `""` first JSON delta, cumulative usage in `message_delta`,
 * each event cut in two TCP writes); its prompt cache has the models' minimum prefix and the
 * 5-minute lifetime (fakePromptCache.ts). Replies are scripted by a function of the request, and
 * can fail every way the agent must survive: HTTP errors with retry-after, `event: error` inside
 * the 200 stream (first or later), a stream dropped midway, a malformed event, refusals, a
 * `message_start` without usage. `kind: 'raw'` replays recorded SSE text as it is.
 */
export type ScriptedBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string };

export type ScriptedReply =
  | {
      kind: 'message';
      blocks: ScriptedBlock[];
      stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal' | 'stop_sequence' | 'pause_turn';
      /** Sent with a refusal, as the API does: on `message_delta`, beside `stop_reason`. */
      stopDetails?: { category: string | null; explanation: string | null };
      /** Counts to report instead of the ones measured (input tokens are otherwise counted by the cache model). */
      usage?: Partial<Usage>;
      /** Input and cache counts that grow during the message (server tools): `message_delta` reports these, cumulative. */
      finalUsage?: Partial<Usage>;
      /** A gateway that leaves `usage` out of `message_start`. */
      omitStartUsage?: boolean;
      /** Pause between streamed events (ms); text is sent in chunks of `chunkSize` characters. */
      delayMs?: number;
      chunkSize?: number;
      /** Close the connection after this many events, without message_stop. */
      dropAfterEvents?: number;
      /** Send one event whose data is not JSON, after this many events. */
      malformedAfterEvents?: number;
      /** Send `event: error` (overloaded_error, api_error...) after this many events (0: as the first event) and end the stream. */
      errorEvent?: { afterEvents: number; type: string; message: string };
    }
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  /** Recorded SSE text, replayed byte for byte (split into TCP writes); its thinking signatures become valid ones. */
  | { kind: 'raw'; sse: string; delayMs?: number };

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: MessagesRequestBody;
  /** When the request arrived (performance.now()). */
  readonly at: number;
  /** The API's answer when the request broke one of its rules. */
  readonly rejected?: ApiErrorReply;
  readonly requestId: string;
}

export interface MessagesRequestBody {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system?: unknown;
  tools?: { name: string; cache_control?: unknown }[];
  messages: { role: 'user' | 'assistant'; content: string | { type: string; [k: string]: unknown }[] }[];
  thinking?: { type: string; display?: string } | undefined;
}

export type Script = (request: MessagesRequestBody, index: number) => ScriptedReply;

export interface FakeMessagesApi {
  readonly baseURL: string;
  /** Every request, accepted or rejected, in order. */
  readonly requests: RecordedRequest[];
  /** Called with each event as it is written, with the time it left (performance.now()). */
  onEventSent?: (event: string, data: unknown, at: number) => void;
  setScript(script: Script): void;
  /** Moves the prompt cache's clock (entries expire 5 minutes after their last use). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

export interface FakeApiOptions {
  port?: number;
  pages?: Record<string, string>;
  /** Model ids served beside the documented ones. */
  extraModels?: string[];
  /** Overrides every model's context window (to reach "prompt is too long" cheaply). */
  contextWindow?: number;
  /** Characters a token for counting input (the API's tokenizer gives about 3-4 for English, fewer for code and JSON). */
  charsPerToken?: number;
  /** Each event is written in two parts, cut inside the event, as TCP can deliver it. Default on. */
  splitWrites?: boolean;
}

export async function startFakeMessagesApi(script: Script, options: FakeApiOptions = {}): Promise<FakeMessagesApi> {
  let current = script;
  let clockOffset = 0;
  const cache = new PromptCacheModel(() => Date.now() + clockOffset, options.charsPerToken ?? 4);
  const secret = randomBytes(16);
  const ledger: RequestLedger = { signatures: new Map(), redacted: new Set(), thinkingBeforeToolUse: new Map() };
  const sign = (thinking: string): string => createHmac('sha256', secret).update(thinking).digest('base64');
  const requests: RecordedRequest[] = [];
  const api: FakeMessagesApi = {
    baseURL: '',
    requests,
    setScript: (s) => (current = s),
    advanceClock: (ms) => void (clockOffset += ms),
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => sockets.delete(s));
  });
  api.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req_${randomBytes(12).toString('hex')}`;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const page = options.pages?.[url.pathname];
    if (req.method === 'GET' && page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      json(res, 200, { data: MODELS, has_more: false, first_id: MODELS[0]?.id, last_id: MODELS.at(-1)?.id }, requestId);
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      apiError(res, { status: 404, type: 'not_found_error', message: `Not found: ${req.method ?? ''} ${url.pathname}` }, requestId);
      return;
    }
    let body: MessagesRequestBody;
    try {
      body = JSON.parse(await readBody(req)) as MessagesRequestBody;
    } catch {
      apiError(res, { status: 400, type: 'invalid_request_error', message: 'There was an issue with your request body: it is not valid JSON' }, requestId);
      return;
    }
    const rejected = validateRequest(body, ledger, (b) => cache.countTokens(b), {
      ...(options.extraModels ? { extraModels: options.extraModels } : {}),
      ...(options.contextWindow ? { contextWindow: options.contextWindow } : {}),
    });
    requests.push({ path: url.pathname, headers: req.headers, body, at: performance.now(), requestId, ...(rejected ? { rejected } : {}) });
    if (rejected) {
      apiError(res, rejected, requestId);
      return;
    }
    const reply = current(body, requests.length - 1);
    if (reply.kind === 'error') {
      apiError(res, reply, requestId, reply.headers);
      return;
    }
    if (body.stream !== true && reply.kind === 'message') {
      json(res, 200, whole(body, reply), requestId);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': requestId });
    if (reply.kind === 'raw') await replay(res, reply);
    else await stream(res, body, reply);
  }

  /** The same reply as one JSON message, for a request without `stream: true`. */
  function whole(body: MessagesRequestBody, reply: Extract<ScriptedReply, { kind: 'message' }>): unknown {
    const showThinking = body.thinking?.display === 'summarized' || (body.thinking?.display === undefined && !omitsThinkingByDefault(body.model));
    const thinkingOfMessage: { thinking: string; signature: string }[] = [];
    const content = reply.blocks.map((block) => {
      if (block.type === 'thinking') {
        const shown = showThinking ? block.thinking : '';
        const signature = block.signature ?? sign(block.thinking);
        ledger.signatures.set(signature, shown);
        thinkingOfMessage.push({ thinking: shown, signature });
        return { type: 'thinking', thinking: shown, signature };
      }
      if (block.type === 'redacted_thinking') {
        ledger.redacted.add(block.data);
        return block;
      }
      if (block.type === 'tool_use') {
        const id = block.id ?? `toolu_${randomBytes(12).toString('hex')}`;
        ledger.thinkingBeforeToolUse.set(id, [...thinkingOfMessage]);
        return { type: 'tool_use', id, name: block.name, input: block.input };
      }
      return block;
    });
    const stopReason = reply.stopReason ?? (reply.blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const usage = { ...cache.account(body), output_tokens: 10, ...reply.usage, ...reply.finalUsage };
    return { id: `msg_${randomBytes(12).toString('hex')}`, type: 'message', role: 'assistant', model: body.model, content, stop_reason: stopReason, stop_sequence: null, stop_details: reply.stopDetails ? { type: 'refusal', ...reply.stopDetails } : null, usage };
  }

  /** Writes one SSE event, cut in two writes with a turn of the event loop between (as TCP can deliver it). */
  async function writeEvent(res: ServerResponse, text: string): Promise<void> {
    if (options.splitWrites === false || text.length < 8) {
      res.write(text);
      return;
    }
    const cut = 1 + ((text.length * 7919) % (text.length - 2));
    res.write(text.slice(0, cut));
    await new Promise((r) => setImmediate(r));
    res.write(text.slice(cut));
  }

  async function replay(res: ServerResponse, reply: Extract<ScriptedReply, { kind: 'raw' }>): Promise<void> {
    // The recorded thinking blocks' signatures are the API's own: they are valid when sent back.
    const thinking = new Map<number, { text: string; signature: string }>();
    for (const line of reply.sse.split('\n')) {
      if (!line.startsWith('data:')) continue;
      let event: { type?: string; index?: number; content_block?: { type?: string; data?: string }; delta?: { type?: string; thinking?: string; signature?: string } };
      try {
        event = JSON.parse(line.slice(5)) as typeof event;
      } catch {
        continue;
      }
      if (event.type === 'content_block_start' && event.content_block?.type === 'thinking') thinking.set(event.index ?? 0, { text: '', signature: '' });
      if (event.type === 'content_block_start' && event.content_block?.type === 'redacted_thinking') ledger.redacted.add(String(event.content_block.data));
      const block = thinking.get(event.index ?? 0);
      if (block && event.delta?.type === 'thinking_delta') block.text += event.delta.thinking ?? '';
      if (block && event.delta?.type === 'signature_delta') block.signature += event.delta.signature ?? '';
    }
    for (const { text, signature } of thinking.values()) ledger.signatures.set(signature, text);
    for (const event of reply.sse.split(/(?<=\n\n)/)) {
      if (res.destroyed) return;
      await writeEvent(res, event);
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    }
    res.end();
  }

  async function stream(res: ServerResponse, body: MessagesRequestBody, reply: Extract<ScriptedReply, { kind: 'message' }>): Promise<void> {
    // Input tokens are counted and split the way the API's prompt cache would, unless scripted.
    const usage: Usage = { ...cache.account(body), output_tokens: 0, ...reply.usage };
    let sent = 0;
    let closed = false;
    res.on('close', () => (closed = true));
    const send = async (event: string, data: unknown): Promise<boolean> => {
      if (closed) return false;
      if (reply.dropAfterEvents !== undefined && sent >= reply.dropAfterEvents) {
        // Let what was written reach the client, then cut the connection without ending the stream.
        await new Promise((r) => setTimeout(r, 50));
        res.socket?.destroy();
        return false;
      }
      if (reply.errorEvent && sent === reply.errorEvent.afterEvents) {
        await writeEvent(res, `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: reply.errorEvent.type, message: reply.errorEvent.message }, request_id: null })}\n\n`);
        res.end();
        return false;
      }
      if (reply.malformedAfterEvents !== undefined && sent === reply.malformedAfterEvents) {
        res.write(`event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": \n\n`);
      }
      await writeEvent(res, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      api.onEventSent?.(event, data, performance.now());
      sent++;
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      return true;
    };
    const ping = (): Promise<void> => writeEvent(res, 'event: ping\ndata: {"type": "ping"}\n\n');
    const id = `msg_${randomBytes(12).toString('hex')}`;
    const start = { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, ...(reply.omitStartUsage ? {} : { usage: { ...usage, output_tokens: 1 } }) };
    if (!(await send('message_start', { type: 'message_start', message: start }))) return;
    if (!closed) await ping();
    const showThinking = body.thinking?.display === 'summarized' || (body.thinking?.display === undefined && !omitsThinkingByDefault(body.model));
    const thinkingOfMessage: { thinking: string; signature: string }[] = [];
    let outputTokens = 1;
    // The answer stops where max_tokens says, mid-block if need be, with stop_reason "max_tokens".
    let truncated = false;
    const full = (): boolean => (truncated ||= outputTokens >= body.max_tokens);
    for (const [index, block] of reply.blocks.entries()) {
      if (full()) break;
      if (block.type === 'text') {
        if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }))) return;
        const size = reply.chunkSize ?? 16;
        for (let at = 0; at < block.text.length && !full(); at += size) {
          const text = block.text.slice(at, at + size);
          outputTokens += Math.max(1, Math.round(text.length / 4));
          if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }))) return;
        }
      } else if (block.type === 'thinking') {
        // Models that omit thinking stream only the signature; the text comes back empty and is valid so.
        const shown = showThinking ? block.thinking : '';
        const signature = block.signature ?? sign(block.thinking);
        ledger.signatures.set(signature, shown);
        thinkingOfMessage.push({ thinking: shown, signature });
        if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }))) return;
        if (shown && !(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: shown } }))) return;
        if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature } }))) return;
        outputTokens += Math.max(1, Math.round(block.thinking.length / 4));
      } else if (block.type === 'redacted_thinking') {
        ledger.redacted.add(block.data);
        if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: block.data } }))) return;
      } else {
        const toolId = block.id ?? `toolu_${randomBytes(12).toString('hex')}`;
        ledger.thinkingBeforeToolUse.set(toolId, [...thinkingOfMessage]);
        if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolId, name: block.name, input: {} } }))) return;
        const input = JSON.stringify(block.input);
        const half = Math.floor(input.length / 2);
        // The API's first JSON delta of a tool call is empty.
        for (const part of ['', input.slice(0, half), input.slice(half)]) {
          if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }))) return;
        }
        outputTokens += 20;
      }
      if (truncated) break;
      if (!(await send('content_block_stop', { type: 'content_block_stop', index }))) return;
    }
    const stopReason = truncated ? 'max_tokens' : (reply.stopReason ?? (reply.blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'));
    // message_delta's usage is cumulative for the message: input and cache counts as well as output.
    const final = { ...usage, output_tokens: reply.usage?.output_tokens ?? outputTokens, ...reply.finalUsage };
    const delta = { stop_reason: stopReason, stop_sequence: null, ...(reply.stopDetails ? { stop_details: { type: 'refusal', ...reply.stopDetails } } : {}) };
    if (!(await send('message_delta', { type: 'message_delta', delta, usage: final }))) return;
    if (!(await send('message_stop', { type: 'message_stop' }))) return;
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  (api as { baseURL: string }).baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers });
  res.end(JSON.stringify(body));
}

/** The API's error shape: `{"type": "error", "error": {"type", "message"}, "request_id"}` and the same id in a header. */
function apiError(res: ServerResponse, error: { status: number; type: string; message: string }, requestId: string, headers: Record<string, string> = {}): void {
  json(res, error.status, { type: 'error', error: { type: error.type, message: error.message }, request_id: requestId }, requestId, headers);
}

/** The text of the last user message (string content or its text blocks). */
export function lastUserText(request: MessagesRequestBody): string {
  const last = [...request.messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.filter((b) => b.type === 'text').map((b) => String(b.text)).join('\n');
}

/** Whether the last user message carries tool results (the model is being asked to continue). */
export function lastToolResults(request: MessagesRequestBody): { tool_use_id: string; content: unknown; is_error?: boolean }[] {
  const last = request.messages.at(-1);
  if (!last || last.role !== 'user' || typeof last.content === 'string') return [];
  return last.content.filter((b) => b.type === 'tool_result') as unknown as { tool_use_id: string; content: unknown; is_error?: boolean }[];
}
