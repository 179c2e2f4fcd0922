// The inspector of a running Node process, started from outside: SIGUSR1 makes Node listen on
// 127.0.0.1:9229 (the extension host sets no handler of its own). The bench uses it to collect
// garbage before reading RSS, so a figure is what the host keeps, not when V8 last collected,
// and to read process.memoryUsage() (where the memory is: V8's heap, buffers, the rest).
import WebSocket from 'ws';

const PORT = 9229;

export interface NodeMemory {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface Inspector {
  collectGarbage(): Promise<void>;
  /** process.memoryUsage() inside the process, in MB. */
  memoryUsage(): Promise<NodeMemory>;
  close(): void;
}

async function debuggerUrl(timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const targets = (await fetch(`http://127.0.0.1:${PORT}/json/list`).then((r) => r.json(), () => [])) as { webSocketDebuggerUrl?: string }[];
    const url = targets[0]?.webSocketDebuggerUrl;
    if (url) return url;
    if (Date.now() > deadline) throw new Error(`no inspector answered on 127.0.0.1:${PORT} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Opens the inspector of `pid`; throws when the one answering on the port is another process's. */
export async function inspectProcess(pid: number): Promise<Inspector> {
  process.kill(pid, 'SIGUSR1');
  const socket = new WebSocket(await debuggerUrl(30_000));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  const send = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression: string): Promise<unknown> => ((await send('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: unknown } }).result.value;
  const inspector: Inspector = {
    collectGarbage: async () => void (await send('HeapProfiler.collectGarbage')),
    memoryUsage: async () => {
      const usage = JSON.parse((await evaluate('JSON.stringify(process.memoryUsage())')) as string) as Record<keyof NodeMemory, number>;
      return Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, v / 1048576])) as unknown as NodeMemory;
    },
    close: () => socket.terminate(),
  };
  const answering = await evaluate('process.pid');
  if (answering !== pid) {
    inspector.close();
    throw new Error(`the inspector on 127.0.0.1:${PORT} is process ${String(answering)}'s, not the extension host ${pid}'s: is another one listening there?`);
  }
  return inspector;
}
