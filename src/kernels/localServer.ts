import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, parse } from 'node:path';
import { SETTINGS } from '../commandIds';
import { UserError } from '../common/errors';
import { runIsolatedPython } from '../python/isolatedPython';
import { probeServer, type JupyterEndpoint } from './jupyterEndpoint';
import { checkServerProcess, type CheckOptions } from './serverProcess';

/** What we keep (in SecretStorage, for its token) so the next activation reconnects instead of starting another. */
export interface LocalServerRecord extends JupyterEndpoint {
  readonly pid: number;
  readonly python: string;
  readonly startedAt: number;
  readonly logFile: string;
}

export interface LaunchOptions {
  /** The Python that has jupyter_server (or notebook) and ipykernel. */
  readonly python: string;
  /** Where the server's log and our config file go (the extension's global storage). */
  readonly stateDir: string;
  /** The server (and kernels nobody is connected to) stop after this long idle. 0: never. */
  readonly idleShutdownSeconds: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

// Jupyter Server's kernel websocket leaves Nagle's algorithm on, so every small reply waits for
// the client's delayed ACK (~40 ms a round trip on Linux). A config file is Python the server
// runs at start: it turns TCP_NODELAY on for each kernel websocket (Jupyter Server 1.x and 2.x,
// and the classic notebook server). Measured in bench/kernels.ts.
// It also moves the token from the environment (JUPYTER_TOKEN, where we pass it: a command
// line is visible to every user) into the server's config, so the kernels the server starts do
// not inherit it: a cell that prints os.environ, or `!env`, would save it into the notebook.
export const NODELAY_CONFIG = `# Written by the ML Engineer extension: low-latency kernel websockets, and the
# server's token kept out of its kernels' environment.
import importlib
import os as _os
import sys as _sys

def _nodelay(cls):
    original = cls.open
    def open(self, *args, **kwargs):
        try:
            self.set_nodelay(True)
        except Exception:
            pass
        return original(self, *args, **kwargs)
    cls.open = open

for _module, _name in (
    ("jupyter_server.services.kernels.websocket", "KernelWebsocketHandler"),
    ("jupyter_server.services.kernels.handlers", "ZMQChannelsHandler"),
    ("notebook.services.kernels.handlers", "ZMQChannelsHandler"),
):
    try:
        _nodelay(getattr(importlib.import_module(_module), _name))
    except Exception:
        pass

_token = _os.environ.pop("JUPYTER_TOKEN", None)
if _token is not None:
    if "notebook.notebookapp" in _sys.modules:
        c.NotebookApp.token = _token
    else:
        try:
            import jupyter_server.auth.identity  # Jupyter Server 2 keeps the token in its identity provider
            c.IdentityProvider.token = _token
        except ImportError:
            c.ServerApp.token = _token
`;

/**
 * Tokens a server's kernels must not inherit: ours (moved into the config above), and a
 * JupyterHub's when VS Code itself runs inside a hub session; they open servers, not our kernels.
 */
export const TOKEN_VARIABLES = ['JUPYTER_TOKEN', 'JPY_API_TOKEN', 'JUPYTERHUB_API_TOKEN'];

/** `env` with `dir` first on JUPYTER_PATH (before any the user set). */
export function withJupyterPath(env: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  return { ...env, JUPYTER_PATH: env.JUPYTER_PATH ? `${dir}${delimiter}${env.JUPYTER_PATH}` : dir };
}

/** The server's environment: the given one without other servers' tokens, with ours. */
export function serverEnvironment(base: NodeJS.ProcessEnv, token: string): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const name of TOKEN_VARIABLES) delete env[name];
  return { ...env, JUPYTER_TOKEN: token };
}

const CHECK = `
import importlib.util, json, sys
found = {m: importlib.util.find_spec(m) is not None for m in ("jupyter_server", "notebook", "ipykernel")}
print(json.dumps({**found, "executable": sys.executable}))
`;

/**
 * Which server module the Python can run, or a UserError that says what to install. Isolated
 * (`-I`, a fresh empty folder): `python -c` imports from its working directory first, and a
 * workspace's `json.py` must not run (this runs before any trust is involved in what the folder holds).
 */
export async function checkJupyter(python: string, options: { signal?: AbortSignal } = {}): Promise<'jupyter_server' | 'notebook'> {
  return (await inspectJupyter(python, options)).module;
}

/** checkJupyter's answer, and the interpreter's own path (sys.executable: what its kernel spec runs). */
async function inspectJupyter(python: string, options: { signal?: AbortSignal }): Promise<{ module: 'jupyter_server' | 'notebook'; executable: string }> {
  const result = await runIsolatedPython(python, CHECK, [], { timeoutMs: 30_000, ...(options.signal ? { signal: options.signal } : {}) });
  if (result.kind !== 'exited' || result.code !== 0) {
    throw new UserError(`Could not run ${python} to check for Jupyter${result.kind === 'exited' ? `: ${result.stderr.trim().split('\n').pop() ?? ''}` : ` (${result.kind})`}.`);
  }
  const found = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, boolean> & { executable?: string };
  const missing = [...(found.jupyter_server || found.notebook ? [] : ['jupyter_server']), ...(found.ipykernel ? [] : ['ipykernel'])];
  if (missing.length > 0) {
    throw new UserError(
      `${python} has no ${missing.join(' or ')}, which a local Jupyter server needs. Install with: ${python} -m pip install ${missing.join(' ')}`,
      { actions: [{ label: 'Choose Python', command: 'workbench.action.openSettings', args: [SETTINGS.pythonPath] }] },
    );
  }
  return { module: found.jupyter_server ? 'jupyter_server' : 'notebook', executable: typeof found.executable === 'string' && found.executable !== '' ? found.executable : python };
}

/**
 * A folder for JUPYTER_PATH holding this Python's own python3 kernel spec. Jupyter looks for
 * "python3" in JUPYTER_PATH, then the user's folder (~/.local/share/jupyter), then the Python's
 * prefix, then the system's (/usr/local/share/jupyter); the first found wins over ipykernel's
 * built-in one, so a spec another Python's `ipykernel install` left there would start that other
 * Python for every notebook. One folder per interpreter: servers of other Pythons never share it.
 */
export function ownKernelSpecPath(stateDir: string, executable: string): string {
  const dir = join(stateDir, 'kernel-specs', createHash('sha256').update(executable).digest('hex').slice(0, 16));
  const spec = join(dir, 'kernels', 'python3');
  mkdirSync(spec, { recursive: true });
  // What ipykernel's own spec says, with this interpreter's path.
  const kernel = { argv: [executable, '-m', 'ipykernel_launcher', '-f', '{connection_file}'], display_name: 'Python 3 (ipykernel)', language: 'python', metadata: { debugger: true } };
  const file = join(spec, 'kernel.json');
  const text = `${JSON.stringify(kernel, null, 1)}\n`;
  // Written once, and then whole: another window's server of the same Python may be reading it now,
  // so the text goes to a temporary file in the same folder, renamed over it (atomic there).
  if (readIfThere(file) !== text) {
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, file);
  }
  return dir;
}

function readIfThere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Starts a Jupyter server on 127.0.0.1 with a random token, detached, so it outlives the
 * window (training keeps running through a reload) and stops on its own when idle.
 */
export async function launchLocalServer(options: LaunchOptions): Promise<LocalServerRecord> {
  // Private to this user: the server's log prints its URL with the token.
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const { module, executable } = await inspectJupyter(options.python, options.signal ? { signal: options.signal } : {});
  const kernelSpecs = ownKernelSpecPath(options.stateDir, executable);
  const configFile = join(options.stateDir, 'jupyter_nodelay_config.py');
  writeFileSync(configFile, NODELAY_CONFIG);
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  const app = module === 'jupyter_server' ? 'ServerApp' : 'NotebookApp';
  const idle = Math.max(0, Math.round(options.idleShutdownSeconds));
  const args = [
    '-m',
    module,
    '--no-browser',
    `--config=${configFile}`,
    `--${app}.ip=127.0.0.1`,
    `--${app}.port=${port}`,
    `--${app}.port_retries=50`,
    // The server drops IOPub messages past 1000/s or 1 MB/s (to protect browsers), so a loop
    // that prints fast loses lines. Our output model merges streams and caps what it keeps.
    `--${app}.iopub_msg_rate_limit=0`,
    `--${app}.iopub_data_rate_limit=0`,
    // Kernels start in the notebook's folder, anywhere on this machine (the path is sent per kernel).
    `--${app}.${module === 'jupyter_server' ? 'root_dir' : 'notebook_dir'}=${parse(options.stateDir).root}`,
    ...(idle > 0
      ? [
          `--${app}.shutdown_no_activity_timeout=${idle}`,
          // Only kernels no window is connected to and that are not running anything are culled.
          `--MappingKernelManager.cull_idle_timeout=${idle}`,
          '--MappingKernelManager.cull_interval=60',
          '--MappingKernelManager.cull_connected=False',
          '--MappingKernelManager.cull_busy=False',
        ]
      : []),
    ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ];
  const logFile = join(options.stateDir, `jupyter-server-${Date.now()}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a', 0o600);
  const child = spawn(options.python, args, {
    // Our own folder: `-m` puts the working directory first on sys.path.
    cwd: options.stateDir,
    // The token goes in the environment, which only this user can read; a command line is
    // visible to every user of a shared GPU machine (ps, /proc/PID/cmdline). The config file
    // takes it out again before any kernel starts.
    // Our python3 kernel spec first: the server starts this Python, not another one's spec.
    env: withJupyterPath(serverEnvironment(options.env ?? process.env, token), kernelSpecs),
    detached: true,
    stdio: ['ignore', fd, fd],
    windowsHide: true,
  });
  closeSync(fd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (error) => (exited = error.message));
  child.unref();
  if (child.pid === undefined) throw new UserError(`Could not start ${options.python} -m ${module}.`);

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (options.signal?.aborted) {
      child.kill();
      throw new UserError('Starting the Jupyter server was cancelled.');
    }
    if (exited) {
      throw new UserError(`The Jupyter server ${exited} before it was ready:\n${tail(logFile)}`);
    }
    const url = readServerUrl(logFile);
    if (url) {
      const endpoint = { baseUrl: url, token };
      const probe = await probeServer(endpoint, { timeoutMs: 2_000 });
      if (probe.ok) return { ...endpoint, pid: child.pid, python: options.python, startedAt: Date.now(), logFile };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new UserError(`The Jupyter server did not answer within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s. Its log:\n${tail(logFile)}`);
}

/** The server logs `http://127.0.0.1:PORT/...` once it listens (the port it really got, after retries). */
function readServerUrl(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
  return match && match[1] !== '0' ? `http://127.0.0.1:${match[1]}/` : undefined;
}

function tail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Asks a server we started to stop (it shuts its kernels down first). */
export async function shutdownServer(endpoint: JupyterEndpoint): Promise<boolean> {
  try {
    const response = await fetch(new URL('api/shutdown', endpoint.baseUrl), {
      method: 'POST',
      headers: { Authorization: `token ${endpoint.token}` },
      signal: AbortSignal.timeout(10_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The server a previous activation (or another window) started, if it is still that server
 * (checkServerProcess: its token goes to nobody else) and answers with its token; else a new
 * one. Long training survives a reload because of this.
 */
export async function reuseOrLaunch(
  record: LocalServerRecord | undefined,
  options: LaunchOptions & { readonly check?: CheckOptions },
): Promise<{ record: LocalServerRecord; reused: boolean; dropped?: string }> {
  let dropped: string | undefined;
  if (record) {
    const found = await findRecordedServer(record, { ...(options.signal ? { signal: options.signal } : {}), ...(options.check ? { check: options.check } : {}) });
    if (found.ok) return { record, reused: true };
    dropped = found.problem;
  }
  return { record: await launchLocalServer(options), reused: false, ...(dropped ? { dropped } : {}) };
}

/**
 * Whether a recorded local server is still there: first that its pid is still our server
 * listening on that port, only then (its token sent) that it answers.
 */
export async function findRecordedServer(
  record: LocalServerRecord,
  options: { signal?: AbortSignal; check?: CheckOptions } = {},
): Promise<{ ok: true } | { ok: false; problem: string }> {
  const owner = await checkServerProcess(record, options.check);
  if (!owner.ok) return { ok: false, problem: `it is no longer our server: ${owner.reason}` };
  const probe = await probeServer(record, { timeoutMs: 3_000, ...(options.signal ? { signal: options.signal } : {}) });
  return probe.ok ? { ok: true } : { ok: false, problem: probe.problem };
}

/**
 * The first candidate Python that can run a Jupyter server (setting, Python extension, PATH),
 * or a UserError that names each one tried and says what to install.
 */
export async function findJupyterPython(candidates: readonly string[], options: { signal?: AbortSignal } = {}): Promise<string> {
  const problems: string[] = [];
  for (const python of candidates) {
    try {
      await checkJupyter(python, options);
      return python;
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  const first = candidates[0] ?? 'python3';
  throw new UserError(
    `No Python here can start a Jupyter server. Install the server and kernel with "${first} -m pip install jupyter_server ipykernel", or set ML Engineer's Python path.\n${problems.join('\n')}`,
    { actions: [{ label: 'Choose Python', command: 'workbench.action.openSettings', args: [SETTINGS.pythonPath] }] },
  );
}
