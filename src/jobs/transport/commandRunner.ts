// How the jobs core reaches a cluster's Slurm commands: on this machine (a login node, often
// through Remote-SSH) or over SSH from the user's own machine. The core only builds argv lists
// and parses output; the runner decides where they run.

/** What a finished command printed and how it ended. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code; null when a signal ended it. */
  readonly code: number | null;
}

export interface RunOptions {
  /** Aborts the command (kills the local process or the remote one's channel). */
  readonly signal?: AbortSignal;
  /** Written to the command's stdin, then closed (a batch script for `sbatch` reads it from there). */
  readonly input?: string;
  /** Milliseconds before the command is killed and the run rejects with a timeout error. */
  readonly timeoutMs?: number;
  /** The working folder, on the cluster's side. */
  readonly cwd?: string;
}

/** Runs one command, argv[0] being the program; never through a local shell's parsing of user text. */
export interface CommandRunner {
  /** Where the commands run, for messages ("this machine", "gpu-login (ssh)"). */
  readonly label: string;
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /**
   * A port on this machine's loopback that reaches `host:port` as the cluster's side sees it (a
   * compute node's Jupyter server). Undefined where the runner is on this machine: connect directly.
   */
  forward?(host: string, port: number, options?: ForwardOptions): Promise<PortForward>;
  /** Closes what the runner holds open (an SSH master connection). */
  dispose(): void;
}

/** A runner that could not reach its host at all (not a command that failed there). */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

export interface ForwardOptions {
  readonly signal?: AbortSignal;
  /** The local port to try first (the one a dropped forward had, so its URL stays the same). */
  readonly localPort?: number;
}

/** A loopback port forwarded through the runner's connection; close() takes it down. */
export interface PortForward {
  readonly localPort: number;
  /** Whether the forward still stands (its connection may have been dropped and remade without it). */
  alive(): Promise<boolean>;
  close(): Promise<void>;
}
