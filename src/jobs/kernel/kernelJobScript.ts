import { NODELAY_CONFIG } from '../../kernels/localServer';
import { checkBatchOptions, shellQuote, type EnvironmentActivation } from '../batchScript';

// The batch script of "Start Kernel on Slurm…": a Jupyter server on the allocated node, on a free
// port, with a random token, in the foreground, so the job ends when the server is shut down (or
// idles out), and the server ends when the job is cancelled or reaches its time limit.

export const KERNEL_JOB_NAME = 'jupyter-kernel';
/** The line the job prints once it has chosen its port; the token is never printed. */
export const READY_PREFIX = 'ML Engineer kernel server:';

export interface KernelJobOptions {
  readonly partition?: string;
  /** GPUs on the node; 0 for none. */
  readonly gpus: number;
  readonly gpuType?: string;
  /** sbatch --time. */
  readonly time?: string;
  readonly memory?: string;
  readonly cpus?: number;
  /** The job's (and the kernels') working folder on the cluster, where sbatch runs; undefined: the login's (home over SSH). */
  readonly workDir?: string;
  readonly environment?: EnvironmentActivation;
  /** The Python with jupyter_server and ipykernel on the node (default python3, after the environment). */
  readonly python?: string;
  /** The server stops after this long with no kernel or client activity (frees the GPUs of a forgotten kernel); 0: never. */
  readonly idleMinutes?: number;
  readonly jobName?: string;
}

/** The whole script; `token` is the server's (it reaches the server in its environment, never a command line or the output). */
export function kernelJobScript(o: KernelJobOptions, token: string): string {
  const jobName = o.jobName ?? KERNEL_JOB_NAME;
  const problems = checkBatchOptions({ program: 'jupyter', jobName, gpus: o.gpus, ...pick(o) });
  if (!/^[0-9a-f]{32,}$/.test(token)) problems.push('The token must be 32 or more hex digits.');
  if (o.cpus !== undefined && (!Number.isInteger(o.cpus) || o.cpus < 1)) problems.push('CPUs must be a whole number, 1 or more.');
  if (problems.length > 0) throw new Error(problems.join(' '));
  const idle = Math.max(0, Math.round((o.idleMinutes ?? 60) * 60));
  const python = shellQuote(o.python ?? 'python3');
  const lines = [
    '#!/bin/bash',
    '# Written by ML Engineer (Start Kernel on Slurm): a Jupyter server for notebooks on this allocation.',
    `# It ends when the server is shut down${idle > 0 ? ` or idle for ${Math.round(idle / 60)} min` : ''}, or when the job is cancelled.`,
    `#SBATCH --job-name=${jobName}`,
  ];
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.gpus > 0) lines.push(`#SBATCH --gres=gpu:${o.gpuType ? `${o.gpuType}:` : ''}${o.gpus}`);
  if (o.cpus) lines.push(`#SBATCH --cpus-per-task=${o.cpus}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  if (o.memory) lines.push(`#SBATCH --mem=${o.memory}`);
  lines.push(`#SBATCH --output=${jobName}-%j.out`, '', 'set -euo pipefail', 'umask 077');
  const env = o.environment ?? { kind: 'none' };
  if (env.kind === 'venv') lines.push(`source ${shellQuote(`${env.path.replace(/\/+$/, '')}/bin/activate`)}`);
  if (env.kind === 'conda') lines.push('eval "$(conda shell.bash hook)"', `conda activate ${shellQuote(env.name)}`);
  if (env.kind === 'modules') lines.push(...env.names.map((m) => `module load ${shellQuote(m)}`));
  lines.push(
    '',
    '# Low-latency kernel websockets, and the token moved from the environment into the server\'s',
    '# config so its kernels do not inherit it.',
    'config=$(mktemp "${TMPDIR:-/tmp}/mle-jupyter-XXXXXX.py")',
    'kernels=$(mktemp -d "${TMPDIR:-/tmp}/mle-kernels-XXXXXX")',
    'trap \'rm -rf "$config" "$kernels"\' EXIT',
    `cat >"$config" <<'MLE_JUPYTER_CONFIG'`,
    NODELAY_CONFIG.trimEnd(),
    'MLE_JUPYTER_CONFIG',
    '# The python3 kernel is this Python\'s, first on the path: a python3 kernel spec installed for the',
    '# whole node (/usr/local/share/jupyter) would otherwise start the system\'s Python instead.',
    'mkdir -p "$kernels/kernels/python3"',
    `${python} -c 'import json, sys; json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": True}}, open(sys.argv[1], "w"))' "$kernels/kernels/python3/kernel.json"`,
    'export JUPYTER_PATH="$kernels${JUPYTER_PATH:+:$JUPYTER_PATH}"',
    `export JUPYTER_TOKEN=${token}`,
    `port=$(${python} -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')`,
    `echo "${READY_PREFIX} node=\${SLURMD_NODENAME:-$(hostname -s)} port=$port"`,
    'root=()',
    '[ "$(id -u)" -ne 0 ] || root=(--allow-root)',
    // Every interface of the node: the login node (the tunnel's end) or this window reaches it by the node's name.
    `${python} -m jupyter_server --no-browser --config="$config" --ServerApp.ip=0.0.0.0 --ServerApp.port="$port" --ServerApp.port_retries=0 \\`,
    '  --ServerApp.root_dir="$PWD" --ServerApp.iopub_msg_rate_limit=0 --ServerApp.iopub_data_rate_limit=0 \\',
    ...(idle > 0
      ? [`  --ServerApp.shutdown_no_activity_timeout=${idle} --MappingKernelManager.cull_idle_timeout=${idle} --MappingKernelManager.cull_interval=60 \\`, '  --MappingKernelManager.cull_connected=False --MappingKernelManager.cull_busy=False \\']
      : []),
    // Written so bash before 4.4 (set -u) accepts the empty array.
    '  ${root[@]+"${root[@]}"}',
  );
  return `${lines.join('\n')}\n`;
}

/** Where the job's server listens, from its output; undefined until the job printed it. */
export function readyAddress(output: string): { node: string; port: number } | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith(READY_PREFIX)) continue;
    const m = /node=([A-Za-z0-9][\w.-]*) port=(\d+)\s*$/.exec(line);
    if (m && Number(m[2]) > 0 && Number(m[2]) < 65536) return { node: m[1]!, port: Number(m[2]) };
  }
  return undefined;
}

function pick(o: KernelJobOptions): { partition?: string; gpuType?: string; time?: string; memory?: string } {
  return { ...(o.partition !== undefined ? { partition: o.partition } : {}), ...(o.gpuType !== undefined ? { gpuType: o.gpuType } : {}), ...(o.time !== undefined ? { time: o.time } : {}), ...(o.memory !== undefined ? { memory: o.memory } : {}) };
}
