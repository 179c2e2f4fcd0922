import { ToolInputError } from '../agent/tools/tool';
import type { AgentServers, RunningServer } from './agentServers';

// Which running server a serving tool means: the one named (its app folder's name, as serve_locally
// answers it, or its URL), else the only one running. send_requests, load_test and stop_server say
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
