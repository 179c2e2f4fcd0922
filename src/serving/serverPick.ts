import { existsSync, statSync } from 'node:fs';
import { ToolInputError, type ToolContext } from '../agent/tools/tool';
import { isSameOrInside, samePath } from '../common/pathInside';
import type { AgentServers, RunningServer } from './agentServers';
import { existingAppDir } from './appFolder';

// Which running server a serving tool means: the one named (its app folder's name, as serve_locally
// answers it, or its URL), else the only one running; or the one serving a given model file. send_requests, load_test and stop_server say
// the same words when none or several run.

export function pickRunning(servers: AgentServers, server: string | undefined): RunningServer {
  const running = servers.running();
  const wanted = server?.replace(/\/+$/, '');
  const target = wanted ? running.find((r) => r.name === wanted || r.server.url === wanted) : running.length === 1 ? running[0] : undefined;
  if (target) return target;
  const names = running.map((r) => r.name);
  if (names.length === 0) throw new ToolInputError('No model server is running: start one with serve_locally.');
  throw new ToolInputError(server ? `No running server "${server}"; running: ${running.map((r) => `${r.name} (${r.server.url})`).join(', ')}.` : `Several servers run (${names.join(', ')}): name one in server.`);
}

/**
 * The running server of a model file (the app folder serving that very file: appFolder.ts, not the
 * first of its file name) or of an app folder.
 */
export async function pickServing(servers: AgentServers, userPath: string, files: ToolContext['files']): Promise<RunningServer> {
  const path = await files.resolve(userPath);
  if (!existsSync(path)) throw new ToolInputError(`${userPath} does not exist.`);
  const root = files.roots.find((r) => isSameOrInside(r.path, path));
  const appDir = statSync(path).isDirectory() ? path : root ? await existingAppDir(root.path, path) : undefined;
  const running = servers.running();
  const found = appDir && running.find((r) => samePath(r.server.options.appDir, appDir));
  if (found) return found;
  throw new ToolInputError(running.length ? `No running server serves ${userPath}; running: ${running.map((r) => `${r.name} (${r.server.url}, ${files.display(r.server.options.appDir)})`).join(', ')}.` : 'No model server is running.');
}
