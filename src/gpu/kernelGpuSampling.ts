import { COMM_TARGETS } from '../commandIds';
import type { KernelConnection } from '../kernels/jupyterLib';
import { parseSampleLine, SAMPLE_FIELDS, type GpuSample } from './gpuSample';

export const GPU_COMM_TARGET = COMM_TARGETS.gpu;

// Runs in the kernel (a remote server's machine) as a user_expression of a silent request:
// nothing enters the user's namespace or history. A daemon thread samples nvidia-smi and sends
// each sample on a comm: comm messages go out while the main thread runs a training cell, and
// never show in a cell's output. Closing the comm stops the thread.
const SAMPLER_SOURCE = String.raw`
import socket, subprocess, threading
try:
    from comm import create_comm
except ImportError:
    from ipykernel.comm import Comm as create_comm
host = socket.gethostname()
comm = create_comm(target_name=TARGET, data={"host": host})
stop = threading.Event()
comm.on_close(lambda msg: stop.set())
def loop():
    while not stop.is_set():
        try:
            out = subprocess.run([COMMAND, "--query-gpu=" + FIELDS, "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=10)
            comm.send({"lines": out.stdout, "error": (out.stderr.strip() or "exit %d" % out.returncode) if out.returncode else None})
        except FileNotFoundError:
            comm.send({"error": "%s was not found on %s" % (COMMAND, host), "fatal": True})
            return
        except Exception as e:
            comm.send({"error": "%s: %s" % (type(e).__name__, e)})
        stop.wait(INTERVAL)
threading.Thread(target=loop, daemon=True, name="ml-engineer-gpu").start()
result = host
`;

function starterExpression(command: string, intervalS: number): string {
  const globals = `{"TARGET": ${JSON.stringify(GPU_COMM_TARGET)}, "COMMAND": ${JSON.stringify(command)}, "FIELDS": ${JSON.stringify(SAMPLE_FIELDS.join(','))}, "INTERVAL": ${intervalS}}`;
  return `(lambda d: (exec(${JSON.stringify(SAMPLER_SOURCE)}, d), d["result"])[1])(${globals})`;
}

export interface KernelGpuSampling {
  /** The kernel's host name, once its sampler answered. */
  readonly host: Promise<string>;
  dispose(): void;
}

/**
 * GPUs of the machine a (remote) kernel runs on, sampled inside the kernel. The request that
 * starts the sampler queues behind a running cell like any request; once started, samples keep
 * coming while cells run.
 */
export function startKernelGpuSampling(
  connection: KernelConnection,
  options: { command?: string; intervalMs: number; onSamples(samples: GpuSample[], host: string): void; onProblem(message: string, fatal: boolean): void },
): KernelGpuSampling {
  let disposed = false;
  let comm: { close(): unknown; isDisposed: boolean } | undefined;
  let resolveHost!: (host: string) => void;
  const host = new Promise<string>((resolve) => (resolveHost = resolve));
  const target: Parameters<KernelConnection['registerCommTarget']>[1] = (opened, msg) => {
    const reported = (msg.content.data as { host?: unknown }).host;
    const hostName = typeof reported === 'string' && reported !== '' ? reported : 'remote';
    if (disposed) {
      opened.close();
      return;
    }
    comm?.close();
    comm = opened;
    resolveHost(hostName);
    opened.onMsg = (message) => {
      const data = message.content.data as { lines?: string; error?: string | null; fatal?: boolean };
      if (data.error) options.onProblem(data.error, data.fatal === true);
      const samples = (data.lines ?? '').split('\n').map((l) => parseSampleLine(l)).filter((s): s is GpuSample => s !== undefined);
      if (samples.length > 0) options.onSamples(samples, hostName);
    };
  };
  connection.registerCommTarget(GPU_COMM_TARGET, target);
  const future = connection.requestExecute(
    {
      code: '',
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false,
      user_expressions: { gpu: starterExpression(options.command ?? 'nvidia-smi', Math.max(0.5, options.intervalMs / 1000)) },
    },
    true,
  );
  future.done.then(
    (reply) => {
      const value = (reply.content as { user_expressions?: Record<string, { status?: string; ename?: string; evalue?: string }> }).user_expressions?.gpu;
      if (value && value.status !== 'ok') options.onProblem(`GPU sampling could not start in the kernel: ${value.ename ?? ''}: ${value.evalue ?? ''}`, true);
    },
    () => undefined,
  );
  return {
    host,
    dispose() {
      disposed = true;
      if (comm && !comm.isDisposed) comm.close();
      if (!connection.isDisposed) connection.removeCommTarget(GPU_COMM_TARGET, target);
    },
  };
}
