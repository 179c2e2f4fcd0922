// One SshRunner (one master connection) per cluster host, shared by every caller: the Jobs view,
// the agent's tools and the GPU sampler of a running job all poll through the same login.
import type { CommandRunner } from './commandRunner';
import { SshRunner, type SshRunnerOptions } from './sshRunner';
import { parseSshTarget } from './sshTarget';

export class SshRunners {
  private readonly runners = new Map<string, SshRunner>();

  constructor(private readonly options: SshRunnerOptions = {}) {}

  /** The runner for `host` (a ~/.ssh/config Host, user@host or user@host:port); a bad name throws a UserError. */
  runnerFor(host: string): CommandRunner {
    const target = parseSshTarget(host);
    let runner = this.runners.get(target.text);
    // A caller that disposed its runner (a scheduler rebuilt after a settings change) gets a new one.
    if (!runner || runner.closed) {
      runner = new SshRunner(target, this.options);
      this.runners.set(target.text, runner);
    }
    return runner;
  }

  /** Closes every master (the window closes, or the clusters setting changed). */
  async close(): Promise<void> {
    const all = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(all.map((r) => r.close()));
  }

  dispose(): void {
    void this.close();
  }
}
