import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback server of our own that speaks the Anthropic Messages API at the SDK's baseURL:
 * streamed events (text, tool_use, thinking, usage with cache fields), the models list, and
 * every failure the agent must survive (429 with retry-after, 529 overloaded, 5xx, a stream
 * dropped midway, a malformed event). Replies are scripted by a function of the request.
 */
export type ScriptedBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: string };

export type ScriptedReply =
  | {
      kind: 'message';
      blocks: ScriptedBlock[];
      stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal';
      usage?: Partial<Usage>;
      /** Pause between streamed events (ms); text is sent in chunks of `chunkSize` characters. */
      delayMs?: number;
      chunkSize?: number;
      /** Close the connection after this many events, without message_stop. */
      dropAfterEvents?: number;
      /** Send one event whose data is not JSON, after this many events. */
      malformedAfterEvents?: number;
    }
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> };

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
}

export interface MessagesRequestBody {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system?: unknown;
  tools?: { name: string; cache_control?: unknown }[];
  messages: { role: 'user' | 'assistant'; content: string | { type: string; [k: string]: unknown }[] }[];
  thinking?: unknown;
}

export type Script = (request: MessagesRequestBody, index: number) => ScriptedReply;

export interface FakeMessagesApi {
  readonly baseURL: string;
  readonly requests: RecordedRequest[];
  /** Called with each event as it is written, with the time it left (performance.now()). */
  onEventSent?: (event: string, data: unknown, at: number) => void;
  setScript(script: Script): void;
  close(): Promise<void>;
}

export const MODELS = [
  { id: 'claude-sonnet-5-5', display_name: 'Claude Sonnet 5.5', created_at: '2026-09-01T00:00:00Z', type: 'model' },
  { id: 'claude-opus-5-5', display_name: 'Claude Opus 5.5', created_at: '2026-09-01T00:00:00Z', type: 'model' },
  { id: 'claude-haiku-5-5', display_name: 'Claude Haiku 5.5', created_at: '2026-09-01T00:00:00Z', type: 'model' },
];

export async function startFakeMessagesApi(script: Script, options: { port?: number; pages?: Record<string, string> } = {}): Promise<FakeMessagesApi> {
  let current = script;
  const cache = new PromptCacheModel();
  const requests: RecordedRequest[] = [];
  const api: FakeMessagesApi = {
    baseURL: '',
    requests,
    setScript: (s) => (current = s),
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
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const page = options.pages?.[url.pathname];
    if (req.method === 'GET' && page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      json(res, 200, { data: MODELS, has_more: false, first_id: MODELS[0]?.id, last_id: MODELS.at(-1)?.id });
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${url.pathname}` } });
      return;
    }
    const body = JSON.parse(await readBody(req)) as MessagesRequestBody;
    requests.push({ path: url.pathname, headers: req.headers, body, at: performance.now() });
    const reply = current(body, requests.length - 1);
    if (reply.kind === 'error') {
      json(res, reply.status, { type: 'error', error: { type: reply.type, message: reply.message } }, reply.headers);
      return;
    }
    await stream(res, body, reply);
  }

  async function stream(res: ServerResponse, body: MessagesRequestBody, reply: Extract<ScriptedReply, { kind: 'message' }>): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Without scripted usage, input tokens are counted (4 characters a token) and split the way
    // the API's prompt cache would: reads of a prefix cached by an earlier request, writes up to
    // this request's last breakpoint.
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
      if (reply.malformedAfterEvents !== undefined && sent === reply.malformedAfterEvents) {
        res.write(`event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": \n\n`);
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      api.onEventSent?.(event, data, performance.now());
      sent++;
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      return true;
    };
    const id = `msg_${Math.random().toString(36).slice(2, 12)}`;
    if (!(await send('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } }))) return;
    let outputTokens = 1;
    for (const [index, block] of reply.blocks.entries()) {
      if (block.type === 'text') {
        if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }))) return;
        const size = reply.chunkSize ?? 16;
        for (let at = 0; at < block.text.length; at += size) {
          const text = block.text.slice(at, at + size);
          outputTokens += Math.max(1, Math.round(text.length / 4));
          if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }))) return;
        }
      } else if (block.type === 'thinking') {
        if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }))) return;
        if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } }))) return;
        if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } }))) return;
      } else {
        const toolId = block.id ?? `toolu_${Math.random().toString(36).slice(2, 14)}`;
        if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolId, name: block.name, input: {} } }))) return;
        const input = JSON.stringify(block.input);
        const half = Math.floor(input.length / 2);
        for (const part of [input.slice(0, half), input.slice(half)]) {
          if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }))) return;
        }
        outputTokens += 20;
      }
      if (!(await send('content_block_stop', { type: 'content_block_stop', index }))) return;
    }
    const stopReason = reply.stopReason ?? (reply.blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    if (!(await send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: reply.usage?.output_tokens ?? outputTokens } }))) return;
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

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${Date.now()}`, ...headers });
  res.end(JSON.stringify(body));
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

/**
 * How the API's prompt cache would count a request: the request is a sequence of blocks
 * (tools, system, message content), a `cache_control` marks a breakpoint, and a request reads
 * the longest prefix that an earlier request wrote at one of its breakpoints.
 */
export class PromptCacheModel {
  private readonly written = new Map<string, number>();

  account(body: MessagesRequestBody): Pick<Usage, 'input_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'> {
    const system: unknown[] = Array.isArray(body.system) ? (body.system as unknown[]) : body.system ? [body.system] : [];
    const blocks: unknown[] = [...(body.tools ?? []), ...system];
    for (const m of body.messages) for (const b of typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content) blocks.push({ role: m.role, ...b });
    const keys: string[] = [];
    const tokens: number[] = [];
    const breakpoints: number[] = [];
    let key = '';
    let total = 0;
    blocks.forEach((block, i) => {
      const { cache_control, ...rest } = block as { cache_control?: unknown };
      const text = JSON.stringify(rest);
      key += text;
      total += Math.ceil(text.length / 4);
      keys.push(key);
      tokens.push(total);
      if (cache_control) breakpoints.push(i);
    });
    let read = 0;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (this.written.has(keys[i]!)) {
        read = tokens[i]!;
        break;
      }
    }
    const lastBreakpoint = breakpoints.at(-1);
    const upTo = lastBreakpoint === undefined ? 0 : tokens[lastBreakpoint]!;
    for (const b of breakpoints) this.written.set(keys[b]!, tokens[b]!);
    const write = Math.max(0, upTo - read);
    return { input_tokens: Math.max(0, total - read - write), cache_creation_input_tokens: write, cache_read_input_tokens: read };
  }
}
