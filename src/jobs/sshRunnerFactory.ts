import type { SshRunnerFactory } from './jobClusters';

// How an SSH cluster of mlEngineer.jobs.clusters gets its runner. The SSH runner (src/jobs/
// transport/ssh*.ts, one ControlMaster connection per host) is wired here once it is merged:
//   const runners = new SshRunners(); return (host) => runners.runnerFor(host);
// Until then SSH clusters are refused with a message that says what to do instead.
export function sshRunnerFactory(): SshRunnerFactory | undefined {
  return undefined;
}
