import { runProcess } from '../../common/process';
import { UnreachableError, type CommandResult, type CommandRunner, type RunOptions } from './commandRunner';

// The Slurm commands on this machine (a login node, or a window opened there through Remote-SSH).
// Spawned without a shell (src/common/process.ts): job names and paths are argv, never parsed.

const DEFAULT_TIMEOUT_MS = 30_000;

export class LocalRunner implements CommandRunner {
  readonly label = 'this machine';

  constructor(private readonly env?: NodeJS.ProcessEnv) {}

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const [program, ...args] = argv;
    if (!program) throw new Error('no command given');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const result = await runProcess(program, args, {
      timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(this.env ? { env: this.env } : {}),
    });
    switch (result.kind) {
      case 'exited':
        return { stdout: result.stdout, stderr: result.stderr, code: result.code };
      case 'not-found':
        throw new UnreachableError(`${program} is not installed on this machine (${result.message}): is this a Slurm login node? A cluster reached over SSH is set in mlEngineer.jobs.clusters.`);
      case 'timed-out':
        throw new Error(`${program} did not answer within ${Math.round(timeoutMs / 1000)} s${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
      case 'cancelled': {
        const error = new Error(`${program} was cancelled`);
        error.name = 'AbortError';
        throw error;
      }
    }
  }

  dispose(): void {
    // Nothing held open: each command is its own process.
  }
}
