import type { SshRunnerFactory } from './jobClusters';
import { SshRunners } from './transport/sshRunners';

// How an SSH cluster of mlEngineer.jobs.clusters gets its runner: one SshRunner (one ControlMaster
// connection) per host, shared by the Jobs view, the agent's tools and the CLI in this process.
let runners: SshRunners | undefined;

export function sshRunnerFactory(): SshRunnerFactory | undefined {
  return (host) => (runners ??= new SshRunners()).runnerFor(host);
}

/**
 * Closes every master connection and waits until they are gone. The CLI awaits it before it exits:
 * a master left behind would stay up for its ControlPersist time, unused (its socket folder was this
 * process's own).
 */
export async function closeSshRunners(): Promise<void> {
  const open = runners;
  runners = undefined;
  await open?.close();
}
