import { join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool } from '../agent/tools/tool';
import type { AgentServers } from './agentServers';
import { REQUEST_LOG_FILE } from './requestLogText';
import { pickRunning, pickServing } from './serverPick';

// The agent's stop_server: stops a model server serve_locally started (or the window serves), named
// by its name or URL, or by the model file or app folder it serves, and says what it served. A write
// that changes no file (Tool.changes says what it changes), as promote_model_version is: it ends a
// process the user may be using, so it asks first; the app folder and its logs stay.

const input = z.object({
  server: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  path: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
});

export function stopServerTool(deps: { readonly servers: AgentServers }) {
  return defineTool({
    name: 'stop_server',
    description:
      'Stops a local model server that serve_locally started: `server` (its name or URL), or `path` (the model file or app folder it serves); the only one running by default. ' +
      'Answers what it served: /predict requests answered and those answered with an error, and for how long. Its app folder and request log stay.',
    input,
    risk: 'write',
    changes: 'stops a local model server: its URL stops answering (the app folder and its logs stay)',
    confirmation: (args) => `Stop the local model server ${args.server ?? (args.path ? `serving ${args.path}` : 'that is running')}`,
    async run(args, context) {
      const target = args.path ? await pickServing(deps.servers, args.path, context.files) : pickRunning(deps.servers, args.server);
      const { server } = target;
      await server.stop();
      const minutes = (Date.now() - server.startedAt) / 60_000;
      const lines = [
        `Stopped ${target.name} (${server.url}), which served ${context.files.display(join(server.options.appDir, `${server.options.module}.py`))} for ${minutes < 1 ? 'under a minute' : `${Math.round(minutes)} min`}.`,
        `It answered ${server.requests} /predict request${server.requests === 1 ? '' : 's'}, ${server.errors} of them with an error status (from uvicorn's access lines).`,
        `Its request log stays: ${context.files.display(join(server.options.appDir, REQUEST_LOG_FILE))}. serve_locally starts it again.`,
      ];
      return { content: lines.join('\n'), summary: `stopped ${target.name}: ${server.requests} requests, ${server.errors} errors` };
    },
  });
}
