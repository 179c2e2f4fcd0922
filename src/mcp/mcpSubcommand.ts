import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, type CliIo, type Subcommand } from '../cli/subcommand';
import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';

declare const __VERSION__: string;

/**
 * The longest one tool call waits on a kernel (seconds). MCP clients give a request about 60 s by
 * default (the TypeScript SDK's client, Claude Desktop, Cursor), so a kernel call answers within
 * 20 s, with what has arrived and an execution_id to wait on again: training never times a client out.
 */
export const MCP_WAIT_BUDGET_S = 20;

export const mcpSubcommand: Subcommand = {
  name: 'mcp',
  summary: "serve the workspace folder's agent tools to MCP clients (Claude Code, Claude Desktop, Cursor, Copilot) over stdio",
  usage: [
    'Usage: ml-engineer mcp [--folder DIR] [--allow-write] [--allow-execute] [--wait-budget S] [--python PATH] [--nvidia-smi PATH]',
    '',
    'A Model Context Protocol server on stdin/stdout serving the tools of DIR (default: the current',
    'folder): files, experiment runs, model files, datasets, GPUs, a Jupyter kernel. Paths are',
    'confined to DIR. Logs go to stderr.',
    '',
    'Options:',
    '  --folder DIR       the workspace folder (default: the current folder)',
    '  --allow-write      also serve the tools that change files (create_file, propose_edit,',
    '                     scaffold_deployment, optimize_model)',
    '  --allow-execute    also serve the tools that run code (run_command, run_in_kernel,',
    '                     interrupt_kernel, restart_kernel, export_model)',
    `  --wait-budget S    the longest a kernel call waits, in seconds (default ${MCP_WAIT_BUDGET_S}, at most 300)`,
    '  --python PATH      the Python for the kernel and model exports (default: python3 on PATH)',
    '  --nvidia-smi PATH  the nvidia-smi gpu_status runs (default: nvidia-smi on PATH)',
    '',
    'A kernel call waits at most the budget and then returns an execution_id; wait_for_execution',
    'follows it, again within the budget per call, returning only the output that is new.',
    '',
  ].join('\n'),
  options: { folder: { type: 'string' }, 'allow-write': { type: 'boolean' }, 'allow-execute': { type: 'boolean' }, 'wait-budget': { type: 'string' }, python: { type: 'string' }, 'nvidia-smi': { type: 'string' } },
  async run(args, io, signal) {
    const folder = resolve(io.cwd, typeof args.values.folder === 'string' ? args.values.folder : '.');
    if (!isFolder(folder)) {
      io.err(`ml-engineer mcp: ${folder} is not a folder\n`);
      return EXIT.usage;
    }
    const budget = args.values['wait-budget'] === undefined ? MCP_WAIT_BUDGET_S : Number(args.values['wait-budget']);
    if (!Number.isFinite(budget) || budget < 1 || budget > 300) {
      io.err('ml-engineer mcp: --wait-budget must be a number of seconds from 1 to 300\n');
      return EXIT.usage;
    }
    const log = stderrLogger(io);
    // Loaded here, not when the CLI starts: the other subcommands never evaluate the SDK or the toolset.
    const [{ folderToolset }, { createMcpServer }, { StdioServerTransport }] = await Promise.all([
      import('../toolset/folderToolset'),
      import('./mcpServer'),
      import('@modelcontextprotocol/sdk/server/stdio.js'),
    ]);
    const toolset = folderToolset({
      folder,
      log,
      kernelWaitBudgetSeconds: budget,
      ...(typeof args.values.python === 'string' ? { python: args.values.python } : {}),
      ...(typeof args.values['nvidia-smi'] === 'string' ? { nvidiaSmi: args.values['nvidia-smi'] } : {}),
    });
    const server = createMcpServer(toolset, {
      allowWrite: args.values['allow-write'] === true,
      allowExecute: args.values['allow-execute'] === true,
      version: typeof __VERSION__ === 'string' ? __VERSION__ : 'dev',
      waitBudgetSeconds: budget,
      log,
    });
    const transport = new StdioServerTransport();
    // The client ends the session by closing our stdin (then SIGTERM): either way the kernel's server is stopped.
    const ended = new Promise<void>((done) => {
      process.stdin.once('end', done);
      process.stdin.once('close', done);
      process.once('SIGTERM', done);
      signal.addEventListener('abort', () => done(), { once: true });
      server.onclose = done;
    });
    try {
      await server.connect(transport);
      log.info(`serving ${toolset.tools.length} tools of ${folder}`);
      await ended;
    } finally {
      await server.close().catch(() => undefined);
      await toolset.dispose().catch((error: unknown) => log.error(`stopping: ${describeError(error)}`));
    }
    return EXIT.ok;
  },
};

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** stdout carries the protocol: everything else goes to stderr, which MCP clients keep as the server's log. */
export function stderrLogger(io: CliIo): Logger {
  const line = (level: string) => (message: string | Error, ...rest: unknown[]): void => io.err(`ml-engineer mcp ${level}: ${message instanceof Error ? message.message : message}${rest.length ? ` ${rest.map((r) => describeError(r)).join(' ')}` : ''}\n`);
  return { trace: () => undefined, debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
}
