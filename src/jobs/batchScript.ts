import { isSlurmDuration } from './slurm/slurmValues';

// A readable batch script for a .py or .sh file: #SBATCH lines for what the form asked, the
// environment activated, then the program; torchrun for several GPUs or nodes, its rendezvous on
// the job's first node. A file that already holds #SBATCH lines is submitted as it is.

export type EnvironmentActivation =
  | { readonly kind: 'none' }
  /** A virtual environment's folder (its bin/activate is sourced). */
  | { readonly kind: 'venv'; readonly path: string }
  | { readonly kind: 'conda'; readonly name: string }
  /** Environment modules: `module load` each. */
  | { readonly kind: 'modules'; readonly names: readonly string[] };

export interface BatchOptions {
  /** The program, as the job's working folder reaches it (relative or absolute, POSIX). */
  readonly program: string;
  readonly args?: readonly string[];
  readonly jobName: string;
  readonly partition?: string;
  /** GPUs per node; 0 for none. */
  readonly gpus: number;
  readonly gpuType?: string;
  readonly nodes?: number;
  readonly cpusPerTask?: number;
  /** sbatch --time ("30", "2:00:00", "1-00:00:00"). */
  readonly time?: string;
  /** sbatch --mem ("16G"). */
  readonly memory?: string;
  /** The job's working folder on the cluster. */
  readonly workDir?: string;
  /** --output pattern; default slurm-%j.out beside the script's folder. */
  readonly output?: string;
  readonly environment?: EnvironmentActivation;
  /** The Python the job runs (default python3). */
  readonly python?: string;
  /** The rendezvous port on the first node for torchrun. */
  readonly rendezvousPort?: number;
}

/** Does this script carry its own #SBATCH directives (before its first command)? */
export function hasSbatchDirectives(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#!')) continue;
    if (/^#SBATCH\s/.test(line)) return true;
    if (!line.startsWith('#')) return false;
  }
  return false;
}

/** A word for a POSIX shell: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Problems with the form's values, in words; empty when it can be submitted. */
export function checkBatchOptions(o: BatchOptions): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(o.gpus) || o.gpus < 0) problems.push('GPUs must be a whole number, 0 or more.');
  if (o.nodes !== undefined && (!Number.isInteger(o.nodes) || o.nodes < 1)) problems.push('Nodes must be a whole number, 1 or more.');
  if (o.time !== undefined && o.time !== '' && !isSlurmDuration(o.time)) problems.push(`Time "${o.time}" is not a Slurm time: minutes, HH:MM:SS or D-HH:MM:SS.`);
  if (o.memory !== undefined && o.memory !== '' && !/^\d+[KMGT]?$/i.test(o.memory)) problems.push(`Memory "${o.memory}" is not a Slurm size such as 16G or 4000M.`);
  if (/[\s'"]/.test(o.jobName)) problems.push('The job name may not hold spaces or quotes.');
  if (o.partition !== undefined && !/^[\w.-]*$/.test(o.partition)) problems.push(`"${o.partition}" is not a partition name.`);
  if (o.gpuType !== undefined && !/^[\w.-]*$/.test(o.gpuType)) problems.push(`"${o.gpuType}" is not a GPU type.`);
  return problems;
}

/** The batch script for a program file, readable by the user who is shown it before it is submitted. */
export function batchScript(o: BatchOptions): string {
  const problems = checkBatchOptions(o);
  if (problems.length > 0) throw new Error(problems.join(' '));
  const nodes = o.nodes ?? 1;
  const distributed = o.program.endsWith('.py') && (o.gpus > 1 || nodes > 1);
  const lines = ['#!/bin/bash', `# Written by ML Engineer for ${o.program}; edit it and submit it again as it is.`];
  const sb = (flag: string): void => {
    lines.push(`#SBATCH ${flag}`);
  };
  sb(`--job-name=${o.jobName}`);
  if (o.partition) sb(`--partition=${o.partition}`);
  if (nodes > 1) sb(`--nodes=${nodes}`);
  if (distributed) sb('--ntasks-per-node=1');
  if (o.gpus > 0) sb(`--gres=gpu:${o.gpuType ? `${o.gpuType}:` : ''}${o.gpus}`);
  if (o.cpusPerTask) sb(`--cpus-per-task=${o.cpusPerTask}`);
  if (o.time) sb(`--time=${o.time}`);
  if (o.memory) sb(`--mem=${o.memory}`);
  if (o.workDir) sb(`--chdir=${o.workDir}`);
  sb(`--output=${o.output ?? 'slurm-%j.out'}`);
  lines.push('', 'set -euo pipefail');
  // Python's output reaches the file as it is printed, so it can be followed live.
  if (o.program.endsWith('.py')) lines.push('export PYTHONUNBUFFERED=1');
  const env = o.environment ?? { kind: 'none' };
  if (env.kind === 'venv') lines.push(`source ${shellQuote(`${env.path.replace(/\/+$/, '')}/bin/activate`)}`);
  if (env.kind === 'conda') lines.push('eval "$(conda shell.bash hook)"', `conda activate ${shellQuote(env.name)}`);
  if (env.kind === 'modules') lines.push(...env.names.map((m) => `module load ${shellQuote(m)}`));
  const args = (o.args ?? []).map(shellQuote).join(' ');
  const tail = args ? ` ${args}` : '';
  lines.push('');
  if (distributed) {
    lines.push(
      '# One torchrun per node; they meet at the first node of the allocation.',
      'head_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
      `srun torchrun --nnodes="$SLURM_NNODES" --nproc-per-node=${Math.max(1, o.gpus)} --rdzv-id="$SLURM_JOB_ID" --rdzv-backend=c10d --rdzv-endpoint="$head_node:${o.rendezvousPort ?? 29500}" ${shellQuote(o.program)}${tail}`,
    );
  } else if (o.program.endsWith('.py')) {
    lines.push(`${shellQuote(o.python ?? 'python3')} ${shellQuote(o.program)}${tail}`);
  } else {
    lines.push(`bash ${shellQuote(o.program)}${tail}`);
  }
  return `${lines.join('\n')}\n`;
}
