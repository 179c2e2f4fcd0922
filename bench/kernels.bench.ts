// Kernel round trips and output floods through our path (a local server started by our
// launcher, with its TCP_NODELAY config; @jupyterlab/services over a websocket; our output
// model), beside Python's jupyter_client talking to a kernel on the same machine, in the same
// run. A server started without our config shows what the config is worth.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute } from '../src/kernels/execution';
import { serverSettings, type JupyterEndpoint } from '../src/kernels/jupyterEndpoint';
import type { KernelConnection } from '../src/kernels/jupyterLib';
import * as lib from '../src/kernels/lazy/jupyterServices';
import { launchLocalServer, NODELAY_CONFIG, shutdownServer } from '../src/kernels/localServer';
import { jupyterPython } from '../test/support/jupyterHarness';
import { median, withBaseline, type BenchMetric } from './metric';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const FLOOD = 'for i in range(10000):\n    print(i, flush=True)';
const DISPLAYS = 'from IPython.display import display\nfor i in range(10000):\n    display(i)';

const PYTHON_BASELINE = String.raw`
import json, sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="python3")
def run(code):
    t = time.perf_counter()
    msg_id = kc.execute(code)
    outputs = 0
    while True:
        m = kc.get_iopub_msg(timeout=120)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] in ("stream", "display_data", "execute_result"):
            outputs += 1
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    while kc.get_shell_msg(timeout=120)["parent_header"].get("msg_id") != msg_id:
        pass
    return (time.perf_counter() - t) * 1000, outputs
for _ in range(20):
    run("1+1")
rounds = int(sys.argv[1])
times = sorted(run("1+1")[0] for _ in range(rounds))
flood_ms, flood_n = run(sys.argv[2])
displays_ms, displays_n = run(sys.argv[3])
print(json.dumps({"p50": times[len(times) // 2], "p95": times[int(len(times) * 0.95)], "flood_ms": flood_ms, "flood_messages": flood_n, "displays_ms": displays_ms, "displays_messages": displays_n}))
kc.stop_channels()
km.shutdown_kernel(now=True)
`;

async function kernelOn(endpoint: JupyterEndpoint): Promise<KernelConnection> {
  const settings = serverSettings(lib, endpoint);
  const model = await lib.KernelAPI.startNew({ name: 'python3' }, settings);
  const kernel = new lib.KernelConnection({ model, serverSettings: settings });
  for (let i = 0; i < 20; i++) await execute(kernel, '1+1').done; // connected and warm
  return kernel;
}

async function roundTrips(kernel: KernelConnection): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await execute(kernel, '1+1').done;
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

function p95(sorted: readonly number[]): number {
  return sorted[Math.floor(sorted.length * 0.95)]!;
}

async function pythonBaseline(python: string): Promise<{ p50: number; p95: number; flood_ms: number; displays_ms: number; flood_messages: number }> {
  const child = spawn(python, ['-c', PYTHON_BASELINE, String(ROUNDS), FLOOD, DISPLAYS], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the jupyter_client baseline exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as { p50: number; p95: number; flood_ms: number; displays_ms: number; flood_messages: number };
}

/** A plain jupyter_server without our config: what a server we did not start gives. */
async function plainServer(python: string): Promise<{ endpoint: JupyterEndpoint; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-bench-plain-'));
  writeFileSync(join(dir, 'unused.py'), NODELAY_CONFIG); // present but not passed
  const token = 'bench-plain';
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  const child = spawn(python, ['-m', 'jupyter_server', '--no-browser', '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, `--ServerApp.token=${token}`, ...(process.getuid?.() === 0 ? ['--allow-root'] : [])], {
    cwd: dir,
    stdio: 'ignore',
  });
  const endpoint = { baseUrl: `http://127.0.0.1:${port}/`, token };
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${endpoint.baseUrl}api/kernelspecs`, { headers: { Authorization: `token ${token}` } }).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint, stop: () => child.kill() };
}

export async function run(): Promise<BenchMetric[]> {
  const python = await jupyterPython();
  const stateDir = mkdtempSync(join(tmpdir(), 'mle-bench-kernels-'));
  // One thing at a time: a server starting beside a measurement skews it on a small machine.
  const server = await launchLocalServer({ python, stateDir, idleShutdownSeconds: 0 });
  let ours: number[];
  let floodMs: number;
  let displaysMs: number;
  let rssBefore: number;
  let rssAfter: number;
  try {
    const kernel = await kernelOn(server);
    ours = await roundTrips(kernel);
    rssBefore = process.memoryUsage().rss;
    let t = performance.now();
    const flood = execute(kernel, FLOOD);
    await flood.done;
    floodMs = performance.now() - t;
    const floodLines = flood.outputs.outputs.reduce((n, o) => n + (o.type === 'stream' ? o.text.split('\n').length - 1 : 0), 0);
    if (floodLines !== 10_000) throw new Error(`expected 10000 lines, got ${floodLines}`);
    t = performance.now();
    const displays = execute(kernel, DISPLAYS);
    await displays.done;
    displaysMs = performance.now() - t;
    rssAfter = process.memoryUsage().rss;
    kernel.dispose();
  } finally {
    await shutdownServer(server);
  }

  const plain = await plainServer(python);
  let withoutConfig: number[];
  try {
    const plainKernel = await kernelOn(plain.endpoint);
    withoutConfig = await roundTrips(plainKernel);
    plainKernel.dispose();
  } finally {
    plain.stop();
  }

  const baseline = await pythonBaseline(python);
  return [
    withBaseline('roundtrip_p50_ms', median(ours), 'ms', baseline.p50),
    withBaseline('roundtrip_p95_ms', p95(ours), 'ms', baseline.p95),
    withBaseline('roundtrip_p50_ms_server_without_nodelay_config', median(withoutConfig), 'ms', baseline.p50),
    withBaseline('outputs_10k_ms', floodMs, 'ms', baseline.flood_ms),
    withBaseline('displays_10k_ms', displaysMs, 'ms', baseline.displays_ms),
    withBaseline('outputs_10k_rss_mb', rssAfter / 1024 / 1024, 'MB'),
    withBaseline('outputs_10k_rss_growth_mb', (rssAfter - rssBefore) / 1024 / 1024, 'MB'),
  ];
}
