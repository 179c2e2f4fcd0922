import { Ajv2020 } from 'ajv/dist/2020';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback server of our own that behaves like an OpenAI-compatible Chat Completions endpoint
 * (OpenAI's own API, and Ollama, vLLM, LM Studio and LiteLLM, which copy it) at the SDK's baseURL.
 * It checks requests as the API does and answers a bad one with the API's status and error JSON
 * ({error: {message, type, param, code}}): a wrong or missing key (401), an unknown model (404),
 * tool messages that do not answer the assistant's tool_calls, tool parameters that are not valid
 * JSON Schema (400 invalid_function_parameters, checked against the 2020-12 meta-schema with
 * Ajv), images sent to a text-only model, stream_options without stream. It streams as the API
 * does: `data: {chunk}` lines, the role in the first delta, tool calls as delta.tool_calls
 * fragments (id, type and name in the first, the arguments in pieces), finish_reason in the last
 * choice, `usage: null` on every chunk and the counts in one last chunk without choices when
 * stream_options.include_usage is set, then `data: [DONE]`. Replies are scripted per request and
 * can fail the ways the provider must survive: HTTP errors with retry-after, an error object inside
 * the 200 stream, a stream cut midway.
 */
export interface ScriptedCall {
  readonly name: string;
  /** An object is sent as its JSON; a string as it is (to send arguments that are not JSON). */
  readonly arguments: unknown;
  readonly id?: string;
}

export type ChatReply =
  | {
      kind: 'message';
      text?: string;
      /** Reasoning text before the answer, as vLLM (reasoning_content) and Ollama (reasoning) stream it. */
      reasoning?: { field: 'reasoning_content' | 'reasoning'; text: string };
      calls?: ScriptedCall[];
      /** Default: tool_calls when there are calls, else stop. */
      finishReason?: 'stop' | 'tool_calls' | 'length' | 'content_filter';
      /** Characters per content chunk and per argument fragment. */
      chunkSize?: number;
      /** Tool-call fragments without `index`, as some Ollama builds send them. */
      omitToolIndex?: boolean;
      /** Cached prompt tokens to report (prompt_tokens_details.cached_tokens). */
      cachedTokens?: number;
      /** Close the connection after this many chunks, with no finish_reason and no [DONE]. */
      cutAfterChunks?: number;
      /** Send `data: {"error": ...}` after this many chunks and end the stream. */
      errorAfterChunks?: { after: number; message: string; code: string };
      delayMs?: number;
    }
  | { kind: 'error'; status: number; message: string; type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> };

export interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  tools?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: boolean };
  max_tokens?: unknown;
  [key: string]: unknown;
}

export interface RecordedChatRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: ChatRequestBody;
  /** The API's answer when the request broke one of its rules. */
  readonly rejected?: { status: number; message: string; code: string | null; param: string | null };
}

export type ChatScript = (body: ChatRequestBody, index: number) => ChatReply;

export interface FakeChatCompletions {
  readonly baseURL: string;
  readonly requests: RecordedChatRequest[];
  setScript(script: ChatScript): void;
  close(): Promise<void>;
}

export interface FakeChatOptions {
  /** The key the server wants as a bearer token; undefined: none needed (Ollama, vLLM without --api-key). */
  apiKey?: string;
  /** Models served; the first ones in `vision` take images. Default: one text model and one vision model. */
  models?: string[];
  vision?: string[];
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ajv = new Ajv2020({ strict: false, allErrors: false });

export async function startFakeChatCompletions(script: ChatScript, options: FakeChatOptions = {}): Promise<FakeChatCompletions> {
  let current = script;
  let served = 0;
  const models = options.models ?? ['qwen3:8b', 'llava:13b'];
  const vision = new Set(options.vision ?? ['llava:13b']);
  const requests: RecordedChatRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0]!;
    const fail = (status: number, message: string, type: string, code: string | null, param: string | null, body: ChatRequestBody = {}): void => {
      requests.push({ method: req.method ?? '', path, headers: req.headers, body, rejected: { status, message, code, param } });
      sendError(res, status, { message, type, param, code });
    };
    const auth = req.headers.authorization;
    if (options.apiKey !== undefined && auth !== `Bearer ${options.apiKey}`) {
      const message = auth
        ? `Incorrect API key provided: ${auth.replace(/^Bearer\s+/, '').slice(0, 6)}***. You can find your API key at https://platform.openai.com/account/api-keys.`
        : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
      return fail(401, message, 'invalid_request_error', auth ? 'invalid_api_key' : null, null);
    }
    if (req.method === 'GET' && path === '/v1/models') {
      requests.push({ method: 'GET', path, headers: req.headers, body: {} });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'library' })) }));
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') return fail(404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error', null, null);
    let body: ChatRequestBody;
    try {
      body = JSON.parse(raw) as ChatRequestBody;
    } catch {
      return fail(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)", 'invalid_request_error', null, null);
    }
    const invalid = validate(body, models, vision);
    if (invalid) return fail(invalid.status, invalid.message, 'invalid_request_error', invalid.code, invalid.param, body);
    requests.push({ method: 'POST', path, headers: req.headers, body });
    const reply = current(body, served++);
    if (reply.kind === 'error') {
      sendError(res, reply.status, { message: reply.message, type: reply.type ?? (reply.status === 429 ? 'requests' : 'invalid_request_error'), param: reply.param ?? null, code: reply.code ?? null }, reply.headers);
      return;
    }
    if (body.stream !== true) {
      sendError(res, 400, { message: 'This loopback server streams only: set stream: true.', type: 'invalid_request_error', param: 'stream', code: null });
      return;
    }
    await stream(res, body, reply);
  }

  async function stream(res: ServerResponse, body: ChatRequestBody, reply: Extract<ChatReply, { kind: 'message' }>): Promise<void> {
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = String(body.model);
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (delta: object, finish: string | null = null): object => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: 'fp_loopback',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const size = reply.chunkSize ?? 5;
    const pieces = (text: string): string[] => (text === '' ? [] : (text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? []));
    const chunks: object[] = [chunk({ role: 'assistant', content: '' })];
    if (reply.reasoning) for (const p of pieces(reply.reasoning.text)) chunks.push(chunk({ [reply.reasoning.field]: p }));
    for (const p of pieces(reply.text ?? '')) chunks.push(chunk({ content: p }));
    (reply.calls ?? []).forEach((call, index) => {
      const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
      const at = reply.omitToolIndex ? {} : { index };
      chunks.push(chunk({ tool_calls: [{ ...at, id: call.id ?? `call_${randomBytes(12).toString('hex')}`, type: 'function', function: { name: call.name, arguments: '' } }] }));
      for (const p of pieces(args)) chunks.push(chunk({ tool_calls: [{ ...at, function: { arguments: p } }] }));
    });
    const finish = reply.finishReason ?? (reply.calls?.length ? 'tool_calls' : 'stop');
    chunks.push(chunk({}, finish));
    const output = (reply.text ?? '') + (reply.reasoning?.text ?? '') + JSON.stringify(reply.calls ?? []);
    const prompt = Math.ceil(JSON.stringify(body.messages).length / 4) + Math.ceil(JSON.stringify(body.tools ?? []).length / 4);
    if (includeUsage) {
      chunks.push({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_loopback',
        choices: [],
        usage: { prompt_tokens: prompt, completion_tokens: Math.ceil(output.length / 4), total_tokens: prompt + Math.ceil(output.length / 4), prompt_tokens_details: { cached_tokens: reply.cachedTokens ?? 0 } },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${randomBytes(8).toString('hex')}` });
    for (const [i, c] of chunks.entries()) {
      if (reply.cutAfterChunks !== undefined && i === reply.cutAfterChunks) {
        res.socket?.destroy();
        return;
      }
      if (reply.errorAfterChunks && i === reply.errorAfterChunks.after) {
        res.end(`data: ${JSON.stringify({ error: { message: reply.errorAfterChunks.message, type: 'server_error', param: null, code: reply.errorAfterChunks.code } })}\n\n`);
        return;
      }
      // Each write flushed before the next step: a cut must come after what was sent, not discard it.
      await new Promise<void>((resolve) => res.write(`data: ${JSON.stringify(c)}\n\n`, () => resolve()));
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    }
    res.end('data: [DONE]\n\n');
  }

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    setScript: (s) => (current = s),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Invalid {
  status: number;
  message: string;
  code: string | null;
  param: string | null;
}

/** The checks the API makes before it answers, with its wording. */
function validate(body: ChatRequestBody, models: readonly string[], vision: ReadonlySet<string>): Invalid | undefined {
  const bad = (message: string, param: string | null, code: string | null = null, status = 400): Invalid => ({ status, message, code, param });
  if (typeof body.model !== 'string' || body.model === '') return bad('you must provide a model parameter', 'model');
  if (!models.includes(body.model)) return bad(`The model \`${body.model}\` does not exist or you do not have access to it.`, null, 'model_not_found', 404);
  if (body.stream_options !== undefined && body.stream !== true) return bad("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)) return bad(`Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got ${JSON.stringify(body.max_tokens)} instead.`, 'max_tokens', 'integer_below_min_value');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  let pending: string[] = [];
  for (const [i, m] of (body.messages as { role?: unknown; content?: unknown; tool_calls?: unknown; tool_call_id?: unknown }[]).entries()) {
    const role = m?.role;
    if (role !== 'tool' && pending.length > 0) {
      return bad(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(', ')}`, `messages.[${i}].role`);
    }
    if (role === 'tool') {
      if (typeof m.tool_call_id !== 'string' || !pending.includes(m.tool_call_id)) return bad("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
      if (typeof m.content !== 'string' && !Array.isArray(m.content)) return bad(`Invalid type for 'messages[${i}].content': expected one of a string or array of objects, but got ${typeOf(m.content)} instead.`, `messages.[${i}].content`, 'invalid_type');
      pending = pending.filter((id) => id !== m.tool_call_id);
      continue;
    }
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'developer') return bad(`Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, `messages[${i}].role`, 'invalid_value');
    if (role === 'assistant') {
      const calls = m.tool_calls;
      if (calls !== undefined) {
        if (!Array.isArray(calls) || calls.length === 0) return bad(`Invalid 'messages[${i}].tool_calls': empty array. Expected an array with minimum length 1, but got an empty array instead.`, `messages[${i}].tool_calls`, 'empty_array');
        for (const [j, c] of (calls as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } }[]).entries()) {
          if (typeof c.id !== 'string' || c.type !== 'function' || typeof c.function?.name !== 'string' || typeof c.function.arguments !== 'string') return bad(`Missing required parameter: 'messages[${i}].tool_calls[${j}].function'.`, `messages[${i}].tool_calls[${j}]`, 'missing_required_parameter');
        }
        pending = (calls as { id: string }[]).map((c) => c.id);
      }
      if ((m.content === null || m.content === undefined) && calls === undefined) return bad(`Invalid value for 'content': expected a string, got null.`, `messages.[${i}].content`);
      continue;
    }
    if (typeof m.content === 'string') continue;
    if (!Array.isArray(m.content)) return bad(`Invalid type for 'messages[${i}].content': expected one of a string or array of objects, but got ${typeOf(m.content)} instead.`, `messages[${i}].content`, 'invalid_type');
    for (const [j, part] of (m.content as { type?: unknown; text?: unknown; image_url?: { url?: unknown } }[]).entries()) {
      if (part.type === 'text' && typeof part.text === 'string') continue;
      if (part.type === 'image_url') {
        if (role !== 'user') return bad(`Invalid 'messages[${i}].content[${j}]': image_url is only allowed in user messages.`, `messages[${i}].content[${j}]`);
        const url = part.image_url?.url;
        if (typeof url !== 'string' || !/^(data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+|https?:\/\/)/.test(url)) return bad("Invalid 'image_url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got an invalid value.", `messages[${i}].content[${j}].image_url.url`, 'invalid_value');
        if (!vision.has(String(body.model))) return bad('Invalid content type. image_url is only supported by certain models.', `messages.[${i}].content.[${j}].type`);
        continue;
      }
      return bad(`Invalid value: '${String(part.type)}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'.`, `messages[${i}].content[${j}].type`, 'invalid_value');
    }
  }
  if (pending.length > 0) return bad(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(', ')}`, 'messages');
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return bad(`Invalid type for 'tools': expected an array of objects, but got ${typeOf(body.tools)} instead.`, 'tools', 'invalid_type');
    const seen = new Set<string>();
    for (const [i, t] of (body.tools as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } }[]).entries()) {
      if (t.type !== 'function') return bad(`Invalid value: '${String(t.type)}'. Supported values are: 'function' and 'custom'.`, `tools[${i}].type`, 'invalid_value');
      const name = t.function?.name;
      if (typeof name !== 'string' || !NAME.test(name)) return bad(`Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `tools[${i}].function.name`, 'invalid_value');
      if (seen.has(name)) return bad(`Invalid 'tools': duplicate function name '${name}'.`, 'tools', 'invalid_value');
      seen.add(name);
      const parameters = t.function?.parameters;
      if (parameters !== undefined) {
        const schemaError = schemaProblem(parameters);
        if (schemaError) return bad(`Invalid schema for function '${name}': ${schemaError}`, `tools[${i}].function.parameters`, 'invalid_function_parameters');
      }
    }
  }
  return undefined;
}

/** Why the function's parameters are not a JSON Schema for an object, in the API's manner; undefined when they are. */
function schemaProblem(parameters: unknown): string | undefined {
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) return `${JSON.stringify(parameters)} is not of type 'object'.`;
  if (!ajv.validateSchema(parameters)) {
    const [first] = ajv.errors ?? [];
    return `In context=(${(first?.instancePath ?? '').split('/').filter(Boolean).map((p) => `'${p}'`).join(', ')}), ${first?.message ?? 'invalid schema'}.`;
  }
  if ((parameters as { type?: unknown }).type !== 'object') return `schema must be a JSON Schema of 'type: "object"', got 'type: "${String((parameters as { type?: unknown }).type)}"'.`;
  return undefined;
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function sendError(res: ServerResponse, status: number, error: { message: string; type: string; param: string | null; code: string | null }, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${randomBytes(8).toString('hex')}`, ...headers });
  res.end(JSON.stringify({ error }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
