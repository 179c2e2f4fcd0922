import { randomBytes } from 'node:crypto';
import { get as httpGet, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { isolatedPythonArgs } from '../python/isolatedPython';
import { startTracked, type TrackedProcess } from '../common/process';
import { UserError } from '../common/errors';
import { serverFailure } from './serverErrors';
import { RequestLogLatency, requestLogPath } from './requestLogLatency';
import { LOAD_TEST_KEY_ENV, REQUEST_LOG_FLUSH_SECONDS } from './requestLogText';
import { LatencyWindow } from './servedStats';

// A model app (FastAPI) served by the user's Python with uvicorn, on 127.0.0.1 only, with a fresh
// bearer token (MODEL_API_TOKEN) so nothing else on the machine can use it, and a fresh load-test key
// (MODEL_LOAD_TEST_KEY: only our load tester's rows are logged as its, requestLogText.ts): a tracked child process
// (src/common/process.ts) whose output goes line by line to the caller (an output channel), ready
// once GET /health answers 200; a failed start is said in words (a missing package with its install
// line, a port in use, the app's own error) from what uvicorn printed.

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface ServeOptions {
  readonly python: string;
  readonly appDir: string;
  /** The module holding `app` (app.py: "app"). */
  readonly module: string;
  /** 0 or undefined: a free port. */
  readonly port?: number;
  /** Added to the server's environment (MODEL_REQUEST_LOG, PYTHONPATH for a test's stand-in). */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
}

// uvicorn.run with the app's folder first on sys.path: -I keeps the workspace off sys.path for our
// own imports; the app's folder is put back on purpose, since the app is what we were asked to run.
// Its stdin is a lifeline (startTracked's stdinLifeline): end-of-file there means the extension host
// is gone without stopping it (killed, crashed), and the server shuts down instead of living on.
// "keep <file>" on stdin (Keep Running After Window Closes) ends the watch: the output goes to the
// file from then on, since the window's pipes close with it. The file is rotated as the request log
// is: checked every second, past MODEL_SERVER_LOG_BYTES it becomes <file>.1 (older ones shift up to
// <file>.MODEL_SERVER_LOG_FILES) and a new one takes stdout and stderr. Renamed while still open,
// then swapped in with dup2, no line is lost; where an open file cannot be renamed (Windows) it is
// copied and emptied instead.
export const SERVER_LOG_DEFAULTS = { bytes: 10 * 1024 * 1024, files: 3 } as const;
const SERVE_SCRIPT = `
import os, shutil, signal, sys, threading, time
def _output_to(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush(); sys.stderr.flush()
    os.dup2(fd, 1); os.dup2(fd, 2); os.close(fd)
def _rotate(path, limit, files):
    said = None
    while True:
        time.sleep(1)
        try:
            if os.fstat(1).st_size <= limit:
                continue
            if files < 1:
                os.ftruncate(1, 0)
                continue
            for i in range(files - 1, 0, -1):
                if os.path.exists("%s.%d" % (path, i)):
                    os.replace("%s.%d" % (path, i), "%s.%d" % (path, i + 1))
            try:
                os.replace(path, path + ".1")
            except PermissionError:
                shutil.copyfile(path, path + ".1")
                os.ftruncate(1, 0)
                continue
            _output_to(path)
        except Exception as error:  # a full disk stops no server: tried again in a second, said once
            if str(error) != said:
                said = str(error)
                print("[ML Engineer] server log not rotated: %s" % error, file=sys.stderr, flush=True)
def _keep(path):
    _output_to(path)
    print("[ML Engineer] kept running after the window closes: output goes to " + path, flush=True)
    limit = int(os.environ.get("MODEL_SERVER_LOG_BYTES", "${SERVER_LOG_DEFAULTS.bytes}"))
    if limit > 0:
        threading.Thread(target=_rotate, args=(path, limit, int(os.environ.get("MODEL_SERVER_LOG_FILES", "${SERVER_LOG_DEFAULTS.files}"))), name="server-log", daemon=True).start()
def _lifeline():
    try:
        while True:
            line = sys.stdin.buffer.readline()
            if not line:
                break
            if line.startswith(b"keep "):
                return _keep(line[5:].decode().strip())
    except Exception:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)
    os._exit(1)
threading.Thread(target=_lifeline, daemon=True).start()
app_dir, module, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, app_dir)
import uvicorn
uvicorn.run(module + ":app", host="127.0.0.1", port=port, log_level="info", access_log=True)
`;

/** A port nothing listens on now (the OS's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

const ACCESS_LINE = /"(GET|POST|PUT|DELETE|PATCH) (\S+) HTTP\/[\d.]+" (\d{3})/;

export class LocalModelServer {
  state: ServerState = 'starting';
  /** /predict requests the server answered, and those answered with an error status. */
  requests = 0;
  errors = 0;
  startedAt = Date.now();
  /** Told to outlive its window (keep); or found again after a reload (adopt). */
  kept = false;
  /** Latency of the /predict requests this window sent and saw answered 2xx (call, load tests). */
  readonly latency = new LatencyWindow();
  private readonly listeners = new Set<() => void>();
  private readonly tail: string[] = [];
  private logPoll: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    readonly options: ServeOptions,
    readonly port: number,
    readonly token: string,
    /** The key our load tester sends so the app logs its rows as the load test's; undefined: a kept server recorded without one. */
    readonly loadTestKey: string | undefined,
    private readonly process: TrackedProcess,
    /** Every client's latency, from the app's request log; undefined where its environment turns the log off. */
    private readonly requestLog: RequestLogLatency | undefined,
  ) {}

  /** The app's request log to tail; its first poll marks its end (rows of earlier runs are not this server's). */
  private static logTail(options: ServeOptions): RequestLogLatency | undefined {
    const path = requestLogPath(options.appDir, { ...process.env, ...options.env });
    return path === undefined ? undefined : new RequestLogLatency(path);
  }

  /**
   * The latency the view shows and where it comes from: every client's requests as the app timed
   * them (its request log), else the round trips of the requests this window sent (no log, or no
   * row yet).
   */
  servedLatency(): { readonly window: LatencyWindow; readonly source: string } {
    const log = this.requestLog;
    if (log && log.latency.count > 0) return { window: log.latency, source: `the app's time per /predict request, every client's, from ${log.path}` };
    return { window: this.latency, source: `round trips of the /predict requests this window sent${log ? '' : ' (the request log is off)'}` };
  }

  /** Reads what the request log gained (async, from the last offset); a change redraws. */
  async pollRequestLog(): Promise<void> {
    if (await this.requestLog?.poll().catch(() => false)) this.changed();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Starts the app and resolves once /health answers; a failure rejects with a UserError that says why. */
  static async start(options: ServeOptions): Promise<LocalModelServer> {
    const port = options.port || (await freePort());
    const token = randomBytes(24).toString('base64url');
    const loadTestKey = randomBytes(24).toString('base64url');
    // Lines arrive on later turns of the event loop, once `server` below exists.
    const holder: { server?: LocalModelServer } = {};
    const onLine = (line: string): void => {
      options.onLine?.(line);
      holder.server?.noteLine(line);
    };
    const env = { ...process.env, ...options.env, MODEL_API_TOKEN: token, [LOAD_TEST_KEY_ENV]: loadTestKey, PYTHONUNBUFFERED: '1' };
    const requestLog = LocalModelServer.logTail(options);
    await requestLog?.poll().catch(() => false);
    const child = startTracked(options.python, isolatedPythonArgs(SERVE_SCRIPT, [options.appDir, options.module, String(port)]), { cwd: options.appDir, env, onLine, stdinLifeline: true });
    const server = new LocalModelServer(options, port, token, loadTestKey, child, requestLog);
    holder.server = server;
    void child.exited.then(() => {
      if (server.state !== 'stopped') server.setState('failed');
    });
    try {
      await server.waitReady(options.readyTimeoutMs ?? 60_000, options.signal);
    } catch (error) {
      await child.stop(500);
      server.state = 'failed';
      throw error;
    }
    server.setState('running');
    return server;
  }

  /**
   * Keeps the server running after the window closes: it stops watching its lifeline and writes its
   * output to `logFile`. Its own process group already (startTracked), so nothing else ends it.
   */
  keep(logFile: string): void {
    if (!this.process.send) throw new Error('this server cannot be kept: it was not started with a lifeline');
    this.process.send(`keep ${logFile}\n`);
    this.kept = true;
    this.changed();
  }

  /** A kept server found again (its pid, port and token recorded): stop and calls work as before; its output is in its log file. */
  static adopt(options: ServeOptions, port: number, token: string, process: TrackedProcess, loadTestKey?: string): LocalModelServer {
    const requestLog = LocalModelServer.logTail(options);
    void requestLog?.poll().catch(() => false);
    const server = new LocalModelServer(options, port, token, loadTestKey, process, requestLog);
    server.kept = true;
    server.state = 'running';
    void process.exited.then(() => {
      if (server.state !== 'stopped') server.setState('failed');
    });
    return server;
  }

  /** The last lines the server printed (for a failure's words and the view's tooltip). */
  recentOutput(): string {
    return this.tail.join('\n');
  }

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    clearTimeout(this.logPoll);
    this.setState('stopped');
    await this.process.stop();
  }

  /** GET or POST with the token; the body as text. */
  call(path: string, body?: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
      const started = performance.now();
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      const req = httpRequest(`${this.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (path.startsWith('/predict') && status >= 200 && status < 300) this.noteLatency(performance.now() - started);
          resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.url}${path} in ${timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Adds latencies measured elsewhere (a load test's answers) to what the view shows. */
  noteLatency(...ms: readonly number[]): void {
    this.latency.record(...ms);
    this.changed();
  }

  private noteLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.shift();
    const access = ACCESS_LINE.exec(line);
    if (access && access[2]!.startsWith('/predict')) {
      this.requests++;
      if (Number(access[3]) >= 400) this.errors++;
      // Its row reaches the log within the flush interval: read then, once for a burst of requests.
      this.logPoll ??= setTimeout(() => {
        this.logPoll = undefined;
        void this.pollRequestLog();
      }, REQUEST_LOG_FLUSH_SECONDS * 1000 + 300);
      this.changed();
    }
  }

  private setState(state: ServerState): void {
    this.state = state;
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private async waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.process.exited.then(() => (exited = true));
    for (;;) {
      if (signal?.aborted) throw new UserError('Serve Locally was cancelled.');
      if (exited) {
        const ended = await this.process.exited;
        throw serverFailure(this.options, this.port, this.recentOutput(), ended.error);
      }
      if ((await healthStatus(this.url)) === 200) return;
      if (Date.now() > deadline) throw new UserError(`The app in ${this.options.appDir} did not answer GET /health within ${Math.round(timeoutMs / 1000)} s. Its last output:\n${this.tail.slice(-5).join('\n')}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

export function healthStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(`${url}/health`, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
