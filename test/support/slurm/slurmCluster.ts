import { execFile } from 'node:child_process';
import { join } from 'node:path';

// The real single-node Slurm the jobs tests run against: start-slurm.sh starts munged, slurmctld
// and slurmd (GRES gpu:2 for scheduling) or finds them running (.ci/run starts them first).
// A machine that cannot run slurmd gives a reason to skip with; any other failure fails the test.

export type SlurmAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

let started: Promise<SlurmAvailability> | undefined;

export function ensureSlurmCluster(): Promise<SlurmAvailability> {
  started ??= new Promise((resolve, reject) => {
    execFile('bash', [join(__dirname, 'start-slurm.sh')], { timeout: 90_000 }, (error, stdout, stderr) => {
      if (!error) {
        resolve({ ok: true });
        return;
      }
      if ((error as { code?: unknown }).code === 2) {
        resolve({ ok: false, reason: stderr.trim() || 'start-slurm.sh says this machine cannot run slurmd' });
        return;
      }
      reject(new Error(`the test Slurm cluster did not start: ${stderr.trim() || stdout.trim() || error.message}`));
    });
  });
  return started;
}

/** Polls until `check` returns a value (not undefined), or fails with what it last saw. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Mocha hooks for a suite on the cluster: each test skips, saying why, where this machine cannot run slurmd. */
export function skipWithoutSlurm(): void {
  let reason: string | undefined;
  before(async () => {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) reason = cluster.reason;
  });
  beforeEach(function () {
    if (!reason) return;
    console.log(`    skipped: ${reason}`);
    this.skip();
  });
}
