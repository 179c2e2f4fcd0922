import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { batchScript, hasSbatchDirectives, type BatchOptions, type EnvironmentActivation } from './batchScript';

// What submitting a .py/.sh file means, for the editor's form, the agent's submit_job and the CLI
// alike: a file holding #SBATCH lines is submitted as it is; any other gets a readable batch script
// written beside it (<name>.sbatch), which is what the user is shown and what runs.

export type SubmitChoices = Omit<BatchOptions, 'program' | 'jobName' | 'workDir' | 'environment'> & {
  readonly jobName?: string;
  readonly environment?: EnvironmentActivation;
};

export interface SubmitPlan {
  /** The program file. */
  readonly file: string;
  /** The script that is submitted: the file itself, or the .sbatch written beside it. */
  readonly scriptPath: string;
  readonly script: string;
  /** True: the file's own #SBATCH lines, submitted unchanged (the form's choices are not used). */
  readonly asIs: boolean;
  /** The job's working folder: the file's. */
  readonly cwd: string;
}

export const SUBMITTABLE = /\.(py|sh)$/i;

/** A job name from a file name: "train_resnet" for train resnet.py. */
export function jobNameOf(file: string): string {
  return basename(file, extname(file)).replace(/[^\w.-]+/g, '_').slice(0, 60) || 'job';
}

/** A virtual environment beside the file or in one of its parent folders up to `root`. */
export function findVenv(file: string, root?: string): EnvironmentActivation {
  let dir = dirname(file);
  for (let i = 0; i < 8; i++) {
    for (const name of ['.venv', 'venv']) if (existsSync(join(dir, name, 'bin', 'activate'))) return { kind: 'venv', path: join(dir, name) };
    if (root !== undefined && dir === root) break;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return { kind: 'none' };
}

export function planSubmission(file: string, text: string, choices: SubmitChoices): SubmitPlan {
  if (!SUBMITTABLE.test(file)) throw new Error(`${basename(file)} is not a .py or .sh file`);
  const cwd = dirname(file);
  if (hasSbatchDirectives(text)) return { file, scriptPath: file, script: text, asIs: true, cwd };
  const script = batchScript({ ...choices, program: basename(file), jobName: choices.jobName ?? jobNameOf(file), workDir: cwd, environment: choices.environment ?? { kind: 'none' } });
  return { file, scriptPath: join(cwd, `${jobNameOf(file)}.sbatch`), script, asIs: false, cwd };
}
