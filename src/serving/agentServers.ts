import { basename, dirname, isAbsolute, relative, sep } from 'node:path';
import { samePath } from '../common/pathInside';
import { LocalModelServer } from './localServer';

// The model servers the agent's serve_locally starts, and send_requests finds by name. In the
// editor they are the window's local servers (Deployments view, status bar, stopped with the
// window: vscode/agentServerHost.ts); outside it (`ml-engineer ask`, the MCP server) FolderServers
// keeps them and stops them when the toolset is disposed.

export interface ServedApp {
  readonly appDir: string;
  /** The module holding `app` (app.py: "app"). */
  readonly module: string;
  /** Added to the app's environment: the workspace modules approved with a pickle (approvedModulesEnv). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningServer {
  /** The app folder's name, unique among the servers (uniqueServerName): what send_requests takes. */
  readonly name: string;
  readonly server: LocalModelServer;
}

export interface AgentServers {
  /** The server already running this app, else a new one (the user approved the start). */
  start(app: ServedApp, signal: AbortSignal): Promise<RunningServer>;
  running(): readonly RunningServer[];
}

/** The running server of `app`'s folder, if one is (the tools never start an app twice). */
export function runningFor(servers: AgentServers, app: ServedApp): RunningServer | undefined {
  return servers.running().find((r) => samePath(r.server.options.appDir, app.appDir) && r.server.options.module === app.module);
}

/**
 * A server's name that no other server of the window (or toolset) has, so send_requests, Load Test
 * and the Deployments view never mistake one for another: the app folder's name; where another
 * folder's server already has it, the folder's path relative to the workspace (`relative` gives it;
 * outside the workspace, parent/name), numbered if even that is taken. A name once given is kept:
 * the first `api` stays `api` when a second one starts, and the same app gets its name back.
 */
export function uniqueServerName(app: ServedApp, taken: readonly RunningServer[], relativeTo?: (dir: string) => string | undefined): string {
  const same = taken.find((t) => samePath(t.server.options.appDir, app.appDir) && t.server.options.module === app.module);
  const names = new Set(taken.filter((t) => t !== same).map((t) => t.name));
  if (same && !names.has(same.name)) return same.name;
  const base = basename(app.appDir);
  if (!names.has(base)) return base;
  const rel = relativeTo?.(app.appDir);
  const longer = rel && !isAbsolute(rel) && !rel.startsWith('..') && rel !== base ? rel.split(sep).join('/') : `${basename(dirname(app.appDir))}/${base}`;
  if (!names.has(longer)) return longer;
  for (let k = 2; ; k++) if (!names.has(`${longer} (${k})`)) return `${longer} (${k})`;
}

/** Servers of one folder's toolset: started with the user's Python on 127.0.0.1, stopped on dispose. */
export class FolderServers implements AgentServers {
  private readonly entries: RunningServer[] = [];
  /** Starts under way, by app: a second call for the same app waits for the first; dispose waits for them. */
  private readonly starting = new Map<string, Promise<RunningServer>>();
  private disposed = false;

  /** `folder`: the toolset's folder, which longer names are relative to (uniqueServerName). */
  constructor(
    private readonly python: () => Promise<string>,
    private readonly folder?: string,
  ) {}

  start(app: ServedApp, signal: AbortSignal): Promise<RunningServer> {
    const known = runningFor(this, app);
    if (known) return Promise.resolve(known);
    const key = `${app.appDir}\0${app.module}`;
    const pending = this.starting.get(key);
    if (pending) return pending;
    const started = (async () => {
      const server = await LocalModelServer.start({ python: await this.python(), ...app, signal });
      const folder = this.folder;
      // Among the servers still running: a stopped one's name is free again (the same app served
      // twice before took the longer name from itself).
      const entry = { name: uniqueServerName(app, this.running(), folder === undefined ? undefined : (dir) => relative(folder, dir)), server };
      // Disposed while it started: nobody will stop it later.
      if (this.disposed) {
        await server.stop();
        throw new Error('the tools were closed while the server started');
      }
      this.entries.push(entry);
      return entry;
    })().finally(() => this.starting.delete(key));
    this.starting.set(key, started);
    return started;
  }

  running(): readonly RunningServer[] {
    return this.entries.filter((e) => e.server.state === 'running');
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.allSettled([...this.starting.values()]);
    await Promise.all(this.entries.map((e) => e.server.stop()));
    this.entries.length = 0;
  }
}
