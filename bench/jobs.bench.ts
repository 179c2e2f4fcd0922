// Slurm jobs, on the test cluster of test/support/slurm/start-slurm.sh (started here if need be):
// - submit_to_visible_ms: from Submit (the script on sbatch's stdin) until the job is in the Jobs
//   view's data: the poll the view makes right after a submit (then at 0.5, 1.5 and 3 s), through
//   SlurmScheduler.jobs() as the view calls it (squeue --json, the user's jobs, finished ones too).
//   Median of 7; the baseline: the terminal way, `sbatch --parsable` then `squeue -j ID`. Target < 2000 ms.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmScheduler } from '../src/jobs/slurm/slurmScheduler';
import { LocalRunner } from '../src/jobs/transport/localRunner';
import { ensureSlurmCluster } from '../test/support/slurm/slurmCluster';
import { median, withBaseline, type BenchMetric } from './metric';

const ROUNDS = 7;
const SOON_MS = [0, 500, 1500, 3000];
const SCRIPT = '#!/bin/bash\n#SBATCH --job-name=bench-visible\n#SBATCH --output=/dev/null\nsleep 30\n';

export async function run(): Promise<BenchMetric[]> {
  const cluster = await ensureSlurmCluster();
  if (!cluster.ok) throw new Error(`no Slurm here: ${cluster.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'mle-bench-jobs-'));
  const slurm = new SlurmScheduler(new LocalRunner());
  const ids: string[] = [];
  try {
    const user = await slurm.whoami();
    await slurm.jobs({ user, finished: true }); // the view has polled before the user submits
    const ours: number[] = [];
    const terminal: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      const id = await slurm.submit({ script: SCRIPT, cwd: dir });
      ids.push(id);
      let seen = false;
      let waited = 0;
      for (const at of SOON_MS) {
        await new Promise((r) => setTimeout(r, at - waited));
        waited = at;
        if ((await slurm.jobs({ user, finished: true })).some((j) => j.id === id)) {
          seen = true;
          break;
        }
      }
      if (!seen) throw new Error(`job ${id} not visible 3 s after its submit`);
      ours.push(performance.now() - t);

      const b = performance.now();
      const other = execFileSync('sbatch', ['--parsable'], { input: SCRIPT, cwd: dir, encoding: 'utf8' }).trim();
      ids.push(other);
      if (!execFileSync('squeue', ['-h', '-j', other, '-o', '%i'], { encoding: 'utf8' }).includes(other)) throw new Error(`squeue does not list ${other}`);
      terminal.push(performance.now() - b);
    }
    const value = median(ours);
    if (value >= 2000) throw new Error(`submit_to_visible_ms ${value} ≥ 2000`);
    return [withBaseline('submit_to_visible_ms', value, 'ms', median(terminal)), withBaseline('submit_to_visible_max_ms', Math.max(...ours), 'ms', Math.max(...terminal))];
  } finally {
    for (const id of ids) await slurm.act('cancel', id).catch(() => undefined);
    slurm.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
