import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// A test that asserts "no nvidia-smi here" (a Slurm step's "No GPU tool" line) sets that up rather
// than assume it: a developer's GPU machine has nvidia-smi in /usr/bin, beside srun and everything
// else, so the folder cannot just be left off PATH. Each folder holding one of `names` is replaced
// by a folder of links to the rest of its files; the real programs run, only the named ones are gone.

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** `path` (PATH by default) with none of `names` on it; unchanged where no folder on it holds one. */
export function pathWithout(names: readonly string[], path = process.env.PATH ?? ''): string {
  return path
    .split(delimiter)
    .map((dir) => {
      if (!dir || !names.some((name) => existsSync(join(dir, name)))) return dir;
      const mirror = mkdtempSync(join(tmpdir(), 'mle-path-'));
      made.push(mirror);
      for (const entry of readdirSync(dir)) if (!names.includes(entry)) symlinkSync(join(dir, entry), join(mirror, entry));
      return mirror;
    })
    .join(delimiter);
}
