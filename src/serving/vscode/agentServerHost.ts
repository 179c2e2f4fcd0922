import type { Logger } from '../../common/logger';
import { runningFor, type AgentServers } from '../agentServers';
import type { LocalServers } from './localServers';
import { launchServer } from './serveCommand';

/** The agent's servers in the editor: the window's own (Deployments view, status bar, stopped with the window). */
export function agentServerHost(servers: LocalServers, python: () => Promise<string>, log: Logger): AgentServers {
  const host: AgentServers = {
    running: () => servers.running().map((e) => ({ name: e.name, server: e.server })),
    async start(app, signal) {
      const known = runningFor(host, app);
      if (known) return known;
      const entry = await launchServer(app, servers, python, log, signal);
      return { name: entry.name, server: entry.server };
    },
  };
  return host;
}
