import { parseArgs } from 'node:util';
import { describeError } from '../common/errors';
import { EXIT, type CliIo, type Subcommand } from './subcommand';

export const CLI_NAME = 'ml-engineer';

export function mainUsage(version: string, subcommands: readonly Subcommand[]): string {
  const width = Math.max(...subcommands.map((s) => s.name.length));
  return [
    `${CLI_NAME} ${version}: the ML Engineer extension's tools, from a terminal`,
    '',
    `Usage: ${CLI_NAME} <command> [options]`,
    '',
    'Commands:',
    ...subcommands.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also after a command)',
    '  -v, --version  print the version',
    '',
    `Run '${CLI_NAME} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

/** Parses argv (without node and script) and runs one subcommand; returns the exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  context: { version: string; subcommands: readonly Subcommand[]; signal: AbortSignal },
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(mainUsage(context.version, context.subcommands));
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '-v' || first === '--version') {
    io.out(`${context.version}\n`);
    return EXIT.ok;
  }
  const command = context.subcommands.find((s) => s.name === first);
  if (!command) {
    io.err(`${CLI_NAME}: unknown command '${first}'. Commands: ${context.subcommands.map((s) => s.name).join(', ')}\n`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.err(`${CLI_NAME} ${command.name}: ${describeError(error)}\n\n${command.usage}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, io, context.signal);
  } catch (error) {
    io.err(`${CLI_NAME} ${command.name}: ${describeError(error)}\n`);
    return EXIT.failure;
  }
}
