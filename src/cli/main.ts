// Entry of the `ml-engineer` binary (dist/cli.js). The work is in runCli, which tests call directly.
import { runCli } from './runCli';
import { EXIT } from './subcommand';
import { SUBCOMMANDS } from './subcommands';

declare const __VERSION__: string;

// stdout is the subcommands' output only (io.out: --json reports, MCP's protocol); a library's console
// output goes to stderr (@jupyterlab/services says "Starting WebSocket" with console.debug on every kernel connection).
for (const level of ['log', 'info', 'debug'] as const) console[level] = console.error;

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());

runCli(
  process.argv.slice(2),
  {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  },
  { version: typeof __VERSION__ === 'string' ? __VERSION__ : 'dev', subcommands: SUBCOMMANDS, signal: controller.signal },
).then(
  (code) => {
    process.exitCode = controller.signal.aborted ? EXIT.cancelled : code;
  },
  (error: unknown) => {
    process.stderr.write(`ml-engineer: ${String(error)}\n`);
    process.exitCode = EXIT.failure;
  },
);
