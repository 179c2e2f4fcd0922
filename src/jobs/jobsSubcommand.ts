import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT, type CliIo, type Subcommand } from '../cli/subcommand';
import { writeFileAtomic } from '../common/atomicWrite';
import { JobClusters, parseClusters } from './jobClusters';
import { isSchedulerError, type JobScheduler } from './jobScheduler';
import { jobsText } from './jobText';
import { listKernelJobs, startKernelJob, stopKernelJob } from './kernel/kernelJobsCli';
import { isSlurmDuration } from './slurm/slurmValues';
import { findVenv, planSubmission } from './submitPlan';
import { closeSshRunners, sshRunnerFactory } from './sshRunnerFactory';

// `ml-engineer jobs` and `ml-engineer submit`: the Jobs view and Submit to Slurm in a terminal.

const clusterOption = { cluster: { type: 'string' } } as const;

function schedulerFor(value: unknown): { clusters: JobClusters; scheduler: JobScheduler } {
  const clusters = new JobClusters(parseClusters(typeof value === 'string' ? value : 'local'), sshRunnerFactory());
  return { clusters, scheduler: clusters.scheduler() };
}

function failed(io: CliIo, name: string, error: unknown): number {
  io.err(`ml-engineer ${name}: ${isSchedulerError(error) ? error.message : (error as Error).message}\n`);
  return EXIT.failure;
}

export const jobsSubcommand: Subcommand = {
  name: 'jobs',
  summary: 'list your Slurm jobs: running, pending with the reason, recently finished with the exit code',
  usage: [
    'Usage: ml-engineer jobs [--cluster HOST] [--all-users] [--json]',
    '       ml-engineer jobs --kernels | --stop-kernel ID [--cluster HOST] [--json]',
    '       ml-engineer jobs --start-kernel [--partition P] [--gpus N] [--time T] [--memory M] [--python PY] [--cluster HOST] [--json]',
    '',
    'Lists your jobs on the Slurm cluster: this machine\'s (a login node), or HOST over SSH.',
    '',
    'Options:',
    '  --cluster HOST    an SSH host (~/.ssh/config Host, user@host); default: this machine',
    '  --all-users       every user\'s jobs',
    '  --json            the jobs as JSON',
    '  --kernels         your Jupyter kernel jobs only',
    '  --start-kernel    a Jupyter server as a job; prints its URL with the token and stays in the',
    '                    foreground (holding the SSH tunnel); Ctrl-C stops the server and the job',
    '  --python PY       the cluster\'s Python for it: a path, a command, or conda:ENV (default: the folder\'s mlEngineer.jobs.kernelPython, else python3)',
    '  --stop-kernel ID  ends a kernel job',
    '',
  ].join('\n'),
  options: {
    ...clusterOption,
    json: { type: 'boolean' },
    'all-users': { type: 'boolean' },
    kernels: { type: 'boolean' },
    'start-kernel': { type: 'boolean' },
    'stop-kernel': { type: 'string' },
    partition: { type: 'string' },
    gpus: { type: 'string' },
    time: { type: 'string' },
    memory: { type: 'string' },
    python: { type: 'string' },
  },
  async run(args, io, signal) {
    let clusters: JobClusters | undefined;
    try {
      const made = schedulerFor(args.values.cluster);
      clusters = made.clusters;
      const json = args.values.json === true;
      if (args.values.kernels) return await listKernelJobs(clusters, io, json, signal);
      if (typeof args.values['stop-kernel'] === 'string') return await stopKernelJob(clusters, args.values['stop-kernel'], io, signal);
      if (args.values['start-kernel']) {
        const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
        const gpus = str(args.values.gpus) === undefined ? 0 : Number(args.values.gpus);
        if (!Number.isInteger(gpus) || gpus < 0) throw new Error(`--gpus must be a whole number, not "${String(args.values.gpus)}"`);
        const time = str(args.values.time);
        if (time !== undefined && !isSlurmDuration(time)) throw new Error(`--time "${time}" is not a Slurm time: minutes, HH:MM:SS or D-HH:MM:SS`);
        const partition = str(args.values.partition);
        const memory = str(args.values.memory);
        const python = str(args.values.python);
        return await startKernelJob(clusters, { gpus, ...(partition ? { partition } : {}), ...(time ? { time } : {}), ...(memory ? { memory } : {}), ...(python ? { python } : {}) }, io, json, signal);
      }
      const s = made.scheduler;
      const user = args.values['all-users'] ? undefined : await s.whoami(signal);
      const jobs = await s.jobs({ ...(user ? { user } : {}), finished: true, signal });
      io.out(args.values.json ? `${JSON.stringify(jobs, null, 2)}\n` : `${jobsText(jobs, Math.floor(Date.now() / 1000))}\n`);
      return EXIT.ok;
    } catch (error) {
      return failed(io, 'jobs', error);
    } finally {
      clusters?.dispose();
      await closeSshRunners();
    }
  },
};

export const submitSubcommand: Subcommand = {
  name: 'submit',
  summary: 'submit a .py or .sh file to Slurm (a batch script written beside it, or its own #SBATCH lines)',
  usage: [
    'Usage: ml-engineer submit FILE [--partition P] [--gpus N] [--time T] [--memory M] [--nodes N] [--cluster HOST] [--json]',
    '',
    'A FILE with #SBATCH lines is submitted as it is. Any other .py/.sh gets a readable batch script',
    'written beside it (FILE.sbatch: the options below, a .venv found beside it activated, torchrun',
    'for several GPUs or nodes), which is printed and submitted. Slurm\'s errors are printed verbatim.',
    '',
    'Options:',
    '  --partition P     the partition (default: the cluster\'s default)',
    '  --gpus N          GPUs per node (default 0)',
    '  --time T          time limit as sbatch takes it: 30, 2:00:00, 1-00:00:00',
    '  --memory M        memory per node: 16G',
    '  --nodes N         nodes (default 1)',
    '  --cluster HOST    an SSH host; default: this machine',
    '  --json            {"jobId", "script", "scriptPath"} as JSON',
    '',
  ].join('\n'),
  options: { ...clusterOption, json: { type: 'boolean' }, partition: { type: 'string' }, gpus: { type: 'string' }, time: { type: 'string' }, memory: { type: 'string' }, nodes: { type: 'string' } },
  async run(args, io, signal) {
    const fileArg = args.positionals[0];
    if (!fileArg) {
      io.err('ml-engineer submit: which file? (ml-engineer submit train.py --gpus 1)\n');
      return EXIT.usage;
    }
    const num = (v: unknown, name: string): number | undefined => {
      if (typeof v !== 'string') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not "${v}"`);
      return n;
    };
    let clusters: JobClusters | undefined;
    try {
      const file = resolve(io.cwd, fileArg);
      const text = await readFile(file, 'utf8');
      const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      const nodes = num(args.values.nodes, 'nodes');
      const plan = planSubmission(file, text, {
        gpus: num(args.values.gpus, 'gpus') ?? 0,
        ...(str(args.values.partition) ? { partition: str(args.values.partition)! } : {}),
        ...(str(args.values.time) ? { time: str(args.values.time)! } : {}),
        ...(str(args.values.memory) ? { memory: str(args.values.memory)! } : {}),
        ...(nodes ? { nodes } : {}),
        environment: findVenv(file, io.cwd),
      });
      const made = schedulerFor(args.values.cluster);
      clusters = made.clusters;
      if (!plan.asIs) await writeFileAtomic(plan.scriptPath, plan.script);
      const jobId = await made.scheduler.submit({ script: plan.script, cwd: plan.cwd }, signal);
      if (args.values.json) io.out(`${JSON.stringify({ jobId, scriptPath: plan.scriptPath, script: plan.script, asIs: plan.asIs }, null, 2)}\n`);
      else io.out(`${plan.asIs ? '' : `${plan.script}\n`}Submitted job ${jobId} (${plan.asIs ? `${fileArg} as it is` : `script ${plan.scriptPath}`}).\n`);
      return EXIT.ok;
    } catch (error) {
      return failed(io, 'submit', error);
    } finally {
      clusters?.dispose();
      await closeSshRunners();
    }
  },
};
