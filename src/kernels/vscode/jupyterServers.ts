import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { pythonCandidates } from '../../python/pythonInterpreter';
import { configuredPython } from '../../python/vscode/pythonExtension';
import { parseServerUrl, type JupyterEndpoint } from '../jupyterEndpoint';
import type { JupyterLib, KernelModel } from '../jupyterLib';
import { findJupyterPython, findRecordedServer, reuseOrLaunch, shutdownServer, type LocalServerRecord } from '../localServer';
import { connectServer, readServer, type KernelSpecInfo } from '../serverConnect';
import { checkServerProcess } from '../serverProcess';
import { STORAGE_KEYS } from '../../commandIds';

export const LOCAL_SERVER_ID = 'local';
const LOCAL_RECORD_KEY = STORAGE_KEYS.localServer;
const REMOTES_KEY = STORAGE_KEYS.remoteServers;
const tokenKey = (id: string) => `${STORAGE_KEYS.jupyterTokenPrefix}${id}`;

export type { KernelSpecInfo } from '../serverConnect';

export type ServerState = 'stopped' | 'starting' | 'ready' | 'unreachable';

export interface JupyterServerEntry {
  readonly id: string;
  readonly label: string;
  readonly kind: 'local' | 'remote';
  readonly baseUrl: string | undefined;
  state: ServerState;
  problem: string | undefined;
  endpoint: JupyterEndpoint | undefined;
  specs: KernelSpecInfo[];
  defaultSpec: string | undefined;
  kernels: KernelModel[];
}

/** A Jupyter server another feature runs and ends (a kernel on a Slurm job): shown like a remote server, never stored. */
export interface AttachedJupyterServer {
  readonly id: string;
  /** For the Kernels view and the kernel picker ("Slurm job 123 on gpu-07"). */
  readonly label: string;
  readonly baseUrl: string;
  readonly token: string;
  /** The user disconnected it in the Kernels view: end it (the attachment is disposed by its owner). */
  stop(): Promise<void>;
}

interface RemoteRecord {
  readonly id: string;
  readonly label: string;
  readonly baseUrl: string;
}

/**
 * The Jupyter servers this window uses: the local one (started on demand, reused across
 * windows and reloads through SecretStorage) and the remote ones the user connected.
 */
export class JupyterServers implements vscode.Disposable {
  private readonly entries = new Map<string, JupyterServerEntry>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private starting: Promise<JupyterServerEntry> | undefined;
  private readonly attached = new Map<string, AttachedJupyterServer>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
    readonly lib: () => JupyterLib,
  ) {
    this.entries.set(LOCAL_SERVER_ID, blankEntry(LOCAL_SERVER_ID, 'Local', 'local', undefined));
    for (const remote of this.remotes()) this.entries.set(remote.id, blankEntry(remote.id, remote.label, 'remote', remote.baseUrl));
  }

  list(): JupyterServerEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): JupyterServerEntry | undefined {
    return this.entries.get(id);
  }

  /** Connects to what was connected before: the local server only if it is still running (no Python is started here). */
  async restore(): Promise<void> {
    const record = await this.localRecord();
    const local = this.entries.get(LOCAL_SERVER_ID)!;
    if (record) {
      // Its token goes to the recorded port only while that is still our server process.
      const found = await findRecordedServer(record);
      if (found.ok) {
        this.log.info(`Jupyter: reconnected to the local server started earlier (pid ${record.pid}, ${record.baseUrl})`);
        local.endpoint = record;
        local.state = 'ready';
      } else {
        this.log.info(`Jupyter: the local server started earlier is gone (${found.problem})`);
        await this.context.secrets.delete(LOCAL_RECORD_KEY);
      }
    }
    for (const remote of this.remotes()) {
      const token = (await this.context.secrets.get(tokenKey(remote.id))) ?? '';
      const entry = this.entries.get(remote.id)!;
      entry.endpoint = { baseUrl: remote.baseUrl, token };
      entry.state = 'ready';
    }
    await this.refresh();
  }

  /** The local server, started (with progress) when it is not running. */
  ensureLocal(): Promise<JupyterServerEntry> {
    const local = this.entries.get(LOCAL_SERVER_ID)!;
    if (local.state === 'ready' && local.endpoint) return Promise.resolve(local);
    this.starting ??= this.startLocal().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startLocal(): Promise<JupyterServerEntry> {
    if (!vscode.workspace.isTrusted) throw new UserError('ML Engineer starts no Jupyter server in an untrusted workspace. Trust the workspace to run kernels.');
    const local = this.entries.get(LOCAL_SERVER_ID)!;
    local.state = 'starting';
    local.problem = undefined;
    this.changed.fire();
    try {
      const record = await withCancellableProgress('ML Engineer: starting a local Jupyter server', async (signal) => {
        const python = await configuredPython(this.log);
        const candidates = pythonCandidates(python.setting, python.fromExtension).map((c) => c.command);
        // Our own folder for the server and the checks that run Python (never the workspace's).
        const stateDir = join(this.context.globalStorageUri.fsPath, 'jupyter');
        mkdirSync(stateDir, { recursive: true, mode: 0o700 });
        const chosen = await findJupyterPython(candidates, { signal });
        const idleMinutes = vscode.workspace.getConfiguration('mlEngineer').get<number>('jupyter.idleShutdownMinutes', 60);
        const { record, reused, dropped } = await reuseOrLaunch(await this.localRecord(), {
          python: chosen,
          stateDir,
          idleShutdownSeconds: idleMinutes * 60,
          signal,
        });
        if (dropped) this.log.info(`Jupyter: not reusing the local server started earlier (${dropped})`);
        this.log.info(`Jupyter: ${reused ? 'reusing' : 'started'} the local server ${record.baseUrl} (pid ${record.pid}, ${record.python}; log ${record.logFile})`);
        return record;
      });
      await this.context.secrets.store(LOCAL_RECORD_KEY, JSON.stringify(record));
      local.endpoint = record;
      local.state = 'ready';
      await this.refresh();
      return local;
    } catch (error) {
      local.state = 'stopped';
      local.problem = error instanceof Error ? error.message : String(error);
      this.changed.fire();
      throw error;
    }
  }

  async shutdownLocal(): Promise<void> {
    const record = await this.localRecord();
    const local = this.entries.get(LOCAL_SERVER_ID)!;
    if (!record) throw new UserError('No local Jupyter server is running.');
    // Neither its token nor a signal goes to a process that is no longer our server.
    const owner = await checkServerProcess(record);
    const stopped = owner.ok && (await shutdownServer(record));
    if (owner.ok && !stopped) {
      try {
        process.kill(record.pid);
      } catch {
        // already gone
      }
    }
    await this.context.secrets.delete(LOCAL_RECORD_KEY);
    Object.assign(local, { state: 'stopped', endpoint: undefined, specs: [], kernels: [], problem: undefined });
    this.log.info(owner.ok ? `Jupyter: shut down the local server (pid ${record.pid})` : `Jupyter: the local server was already gone (${owner.reason})`);
    this.changed.fire();
  }

  /** "Connect to Jupyter Server": URL, then token, checked before anything is kept. */
  async connectRemote(): Promise<JupyterServerEntry | undefined> {
    const url = await vscode.window.showInputBox({
      title: 'Connect to Jupyter Server',
      prompt: 'The server URL: Jupyter Server, JupyterHub (the hub, or your server at …/user/NAME/) or an Enterprise Gateway',
      placeHolder: 'https://gpu-box.example.org:8888/',
      ignoreFocusOut: true,
      validateInput: (value) => {
        try {
          parseServerUrl(value);
          return undefined;
        } catch (error) {
          return error instanceof Error ? error.message : 'Not a URL';
        }
      },
    });
    if (!url) return undefined;
    const parsed = parseServerUrl(url);
    const token =
      parsed.token ??
      (await vscode.window.showInputBox({
        title: 'Connect to Jupyter Server',
        prompt: `The token for ${parsed.baseUrl} (kept in VS Code's secret storage). Empty if the server needs none.`,
        password: true,
        ignoreFocusOut: true,
      }));
    if (token === undefined) return undefined;
    const { id, label, baseUrl, specs } = await connectServer(url, token);
    await this.context.secrets.store(tokenKey(id), token);
    const remotes = this.remotes().filter((r) => r.id !== id);
    await this.context.globalState.update(REMOTES_KEY, [...remotes, { id, label, baseUrl }]);
    const entry = blankEntry(id, label, 'remote', baseUrl);
    entry.endpoint = { baseUrl, token };
    entry.state = 'ready';
    this.entries.set(id, entry);
    this.log.info(`Jupyter: connected to ${baseUrl} (${specs} kernel specs)`);
    await this.refresh();
    return entry;
  }

  /** The hook for a server another feature runs (src/jobs/: a kernel on a Slurm job); disposing it takes it out of the view. */
  attach(server: AttachedJupyterServer): vscode.Disposable {
    const entry = blankEntry(server.id, server.label, 'remote', server.baseUrl);
    entry.endpoint = { baseUrl: server.baseUrl, token: server.token };
    entry.state = 'ready';
    this.entries.set(server.id, entry);
    this.attached.set(server.id, server);
    this.log.info(`Jupyter: ${server.label} at ${server.baseUrl}`);
    void this.refresh().catch((error: unknown) => this.log.warn(`Jupyter: ${server.label}: ${String(error)}`));
    return {
      dispose: () => {
        if (this.attached.get(server.id) !== server) return;
        this.attached.delete(server.id);
        this.entries.delete(server.id);
        this.changed.fire();
      },
    };
  }

  attachedServer(id: string): AttachedJupyterServer | undefined {
    return this.attached.get(id);
  }

  async disconnect(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.kind !== 'remote') return;
    const attached = this.attached.get(id);
    if (attached) {
      await attached.stop();
      return;
    }
    await this.context.secrets.delete(tokenKey(id));
    await this.context.globalState.update(REMOTES_KEY, this.remotes().filter((r) => r.id !== id));
    this.entries.delete(id);
    this.log.info(`Jupyter: disconnected from ${entry.baseUrl ?? id}`);
    this.changed.fire();
  }

  /** Specs and running kernels of every ready server; a server that stops answering is marked so. */
  async refresh(): Promise<void> {
    const lib = this.lib();
    await Promise.all(
      this.list().map(async (entry) => {
        if (!entry.endpoint || entry.state === 'starting' || entry.state === 'stopped') return;
        try {
          const contents = await readServer(lib, entry.endpoint);
          entry.specs = contents.specs;
          entry.defaultSpec = contents.defaultSpec;
          entry.kernels = contents.kernels;
          if (entry.state !== 'ready') this.log.info(`Jupyter: ${entry.label} answers again`);
          entry.state = 'ready';
          entry.problem = undefined;
        } catch (error) {
          const problem = error instanceof Error ? error.message : String(error);
          if (entry.state !== 'unreachable') this.log.warn(`Jupyter: ${entry.label}: ${problem}`);
          entry.state = 'unreachable';
          entry.problem = problem;
          entry.kernels = [];
        }
      }),
    );
    this.changed.fire();
  }

  /** Refreshes every few seconds while the Kernels view (or a notebook with our kernel) needs it. */
  setPolling(on: boolean): void {
    if (on && !this.timer) this.timer = setInterval(() => void this.refresh().catch(() => undefined), 5_000);
    if (!on && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  dispose(): void {
    this.setPolling(false);
    this.changed.dispose();
  }

  private remotes(): RemoteRecord[] {
    return this.context.globalState.get<RemoteRecord[]>(REMOTES_KEY, []);
  }

  private async localRecord(): Promise<LocalServerRecord | undefined> {
    const text = await this.context.secrets.get(LOCAL_RECORD_KEY);
    if (!text) return undefined;
    try {
      return JSON.parse(text) as LocalServerRecord;
    } catch {
      return undefined;
    }
  }
}

function blankEntry(id: string, label: string, kind: 'local' | 'remote', baseUrl: string | undefined): JupyterServerEntry {
  return { id, label, kind, baseUrl, state: 'stopped', problem: undefined, endpoint: undefined, specs: [], defaultSpec: undefined, kernels: [] };
}
