// Model inspection, beside Python in the same run:
// - inspect_onnx_1gb_ms: a generated 1 GB ONNX model (64 MatMul weights of 16 MB, inline raw_data)
//   inspected in-process, beside Python's onnx.load(load_external_data=False) (Debian python3-onnx)
//   timed inside Python; _rss_mb: peak RSS of `ml-engineer inspect` vs a Python process loading it;
//   _cli_process_ms: those two whole processes (interpreter start included).
// - header_10gb_ms: safetensors and GGUF headers of 10 GB (sparse) files.
// - inspect_sklearn_forest_ms: a 300-tree random forest saved by joblib.dump (Debian python3-sklearn)
//   described by our reader (the pickle read as data, array bytes skipped), beside joblib.load of it
//   timed inside Python (which also runs its classes' code: what inspecting avoids).
// - open_model_worker_{cold,warm}_ms: the model viewer's path (the reader in a worker thread,
//   dist/workers/models.js) for examples/models/simple_cnn.onnx, with a worker to start (the
//   first file opened) and with the warm one kept for the next, beside the same read in-process;
//   inspect_onnx_1gb_worker_ms: the 1 GB model through the warm worker.
// - graph_first_paint_ms (a generated 10,000-node transformer), graph_first_paint_resnet50_ms (the
//   corpus ResNet-50), graph_expand_scope_ms: the graph view's steps, bench/graphPaint.ts.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel } from '../src/models/inspectModel';
import { ModelReader } from '../src/models/modelReader';
import { graphMetrics } from './graphPaint';
import { median, withBaseline, type BenchMetric } from './metric';

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const field = (key: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([key, ...varint(body.length)]), body]);
const str = (key: number, s: string): Buffer => field(key, Buffer.from(s));

/** A ModelProto: x[1,1024] -> 64 MatMuls with 1024x4096 / 4096x1024 float32 weights -> y. Written in pieces. */
function writeOnnx(path: string): number {
  const fd = openSync(path, 'w');
  const weights = 64;
  const typeProto = (dims: number[]): Buffer => field(0x12, field(0x0a, Buffer.concat([Buffer.from([0x08, 0x01]), field(0x12, Buffer.concat(dims.map((d) => field(0x0a, Buffer.from([0x08, ...varint(d)])))))])));
  const parts: Buffer[] = [];
  let prev = 'x';
  for (let i = 0; i < weights; i++) {
    const out = i === weights - 1 ? 'y' : `h${i}`;
    parts.push(field(0x0a, Buffer.concat([str(0x0a, prev), str(0x0a, `w${i}`), str(0x12, out), str(0x22, 'MatMul')])));
    prev = out;
  }
  parts.push(field(0x5a, Buffer.concat([str(0x0a, 'x'), typeProto([1, 1024])])));
  parts.push(field(0x62, Buffer.concat([str(0x0a, 'y'), typeProto([1, 1024])])));
  const raw = Buffer.alloc(1024 * 4096 * 4, 1);
  const initializers: Buffer[] = [];
  for (let i = 0; i < weights; i++) {
    const dims = i % 2 === 0 ? [1024, 4096] : [4096, 1024];
    initializers.push(Buffer.concat([Buffer.from([0x08, ...varint(dims[0]!), 0x08, ...varint(dims[1]!), 0x10, 0x01]), str(0x42, `w${i}`), Buffer.from([0x4a, ...varint(raw.length)])]));
  }
  const initBytes = initializers.reduce((n, h) => n + 1 + varint(h.length + raw.length).length + h.length + raw.length, 0);
  const graphHead = Buffer.concat([...parts, str(0x12, 'bench')]);
  const graphLength = graphHead.length + initBytes;
  let size = 0;
  const put = (b: Buffer): void => void (size += writeSync(fd, b));
  put(Buffer.from([0x08, 0x08])); // ir_version 8
  put(str(0x12, 'ml-engineer-bench'));
  put(field(0x42, Buffer.from([0x08, 17]))); // opset 17
  put(Buffer.from([0x3a, ...varint(graphLength)]));
  put(graphHead);
  for (const h of initializers) {
    put(Buffer.from([0x2a, ...varint(h.length + raw.length)]));
    put(h);
    put(raw);
  }
  closeSync(fd);
  return size;
}

function peakRss(command: string, args: string[]): { ms: number; rssMb: number } {
  // Python measures its child: wall time and ru_maxrss (KB on Linux) of that one process.
  const probe = `import resource, subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); t = time.perf_counter() - t
print(t * 1000, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)`;
  const [ms, rss] = execFileSync('/usr/bin/python3', ['-c', probe, command, ...args], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { ms: ms!, rssMb: rss! };
}

export async function run(): Promise<BenchMetric[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-bench-models-'));
  try {
    const onnx = join(dir, 'big.onnx');
    const bytes = writeOnnx(onnx);
    const cli = join(__dirname, '..', 'dist', 'cli.js');
    const ours: { ms: number; rssMb: number }[] = [];
    const python: { ms: number; rssMb: number }[] = [];
    const pyLoad = "import sys, onnx; m = onnx.load(sys.argv[1], load_external_data=False); assert len(m.graph.initializer) == 64";
    // In-process load time on both sides (interpreter start and imports excluded), as the editor inspects in-process.
    const pyTimed = "import sys, time, onnx; t = time.perf_counter(); m = onnx.load(sys.argv[1], load_external_data=False); print((time.perf_counter() - t) * 1000)";
    const pythonMs = [0, 1, 2].map(() => Number(execFileSync('/usr/bin/python3', ['-c', pyTimed, onnx], { encoding: 'utf8' }).trim()));
    for (let i = 0; i < 3; i++) {
      ours.push(peakRss(process.execPath, [cli, 'inspect', onnx, '--json']));
      python.push(peakRss('/usr/bin/python3', ['-c', pyLoad, onnx]));
    }
    const inProcess: number[] = [];
    let read = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const info = inspectModel(onnx);
      inProcess.push(performance.now() - t);
      read = info.bytesRead;
      if (info.tensorCount !== 64 || info.parameterCount !== 64 * 1024 * 4096) throw new Error(`read ${info.tensorCount} tensors`);
    }
    // 10 GB sparse files: a header at the front, holes after.
    const tenGb = 10 * 1024 ** 3;
    const safetensors = join(dir, 'big.safetensors');
    const count = 1000;
    const each = Math.floor((tenGb - 200_000) / count / 4) * 4;
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    for (let i = 0; i < count; i++) header[`layers.${i}.weight`] = { dtype: 'F32', shape: [each / 4], data_offsets: [i * each, (i + 1) * each] };
    const json = Buffer.from(JSON.stringify(header));
    let fd = openSync(safetensors, 'w');
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, Buffer.concat([size, json]));
    ftruncateSync(fd, 8 + json.length + count * each);
    closeSync(fd);
    const gguf = join(dir, 'big.gguf');
    const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    const u64 = (n: number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
    const s = (t: string): Buffer => Buffer.concat([u64(Buffer.byteLength(t)), Buffer.from(t)]);
    const tensors = Array.from({ length: 300 }, (_, i) => Buffer.concat([s(`blk.${i}.ffn.weight`), u32(2), u64(8192), u64(8192), u32(12), u64(i * 37748736)]));
    fd = openSync(gguf, 'w');
    writeSync(fd, Buffer.concat([Buffer.from('GGUF'), u32(3), u64(tensors.length), u64(2), s('general.architecture'), u32(8), s('llama'), s('general.name'), u32(8), s('bench'), ...tensors]));
    ftruncateSync(fd, tenGb);
    closeSync(fd);
    const headers: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      inspectModel(safetensors);
      inspectModel(gguf);
      headers.push((performance.now() - t) / 2);
    }
    const forest = join(dir, 'forest.joblib');
    const makeForest = 'import sys, joblib, numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\nX = np.random.default_rng(0).normal(size=(5000, 20))\ny = (X[:, 0] + X[:, 1] > 0).astype(int)\njoblib.dump(RandomForestClassifier(n_estimators=300, max_depth=12, random_state=0).fit(X, y), sys.argv[1])';
    execFileSync('/usr/bin/python3', ['-c', makeForest, forest]);
    const joblibTimed = "import sys, time, joblib; t = time.perf_counter(); m = joblib.load(sys.argv[1]); print((time.perf_counter() - t) * 1000)";
    const joblibMs = [0, 1, 2].map(() => Number(execFileSync('/usr/bin/python3', ['-c', joblibTimed, forest], { encoding: 'utf8' }).trim()));
    const forestMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const info = inspectModel(forest);
      forestMs.push(performance.now() - t);
      if (info.format !== 'sklearn' || !info.facts.some((f) => f.label === 'Estimators' && f.value === '300')) throw new Error('the forest was not read');
    }
    const simple = join(__dirname, '..', 'examples', 'models', 'simple_cnn.onnx');
    const script = join(__dirname, '..', 'dist', 'workers', 'models.js');
    const timed = async (work: () => unknown): Promise<number> => {
      const t = performance.now();
      await work();
      return performance.now() - t;
    };
    const smallInProcess: number[] = [];
    for (let i = 0; i < 20; i++) smallInProcess.push(await timed(() => inspectModel(simple)));
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      const reader = new ModelReader({ script });
      cold.push(await timed(() => reader.inspect(simple)));
      reader.dispose();
    }
    const reader = new ModelReader({ script });
    const warm: number[] = [];
    const bigWarm: number[] = [];
    try {
      await reader.inspect(simple);
      for (let i = 0; i < 20; i++) warm.push(await timed(() => reader.inspect(simple)));
      for (let i = 0; i < 5; i++) bigWarm.push(await timed(() => reader.inspect(onnx)));
    } finally {
      reader.dispose();
    }
    const graph = await graphMetrics(dir, script, join(__dirname, '..', '..', 'shared', 'corpora', 'onnx', 'light', 'light_resnet50.onnx'), simple);
    const med = (xs: { ms: number; rssMb: number }[], k: 'ms' | 'rssMb'): number => median(xs.map((x) => x[k]));
    return [
      withBaseline('open_model_worker_cold_ms', median(cold), 'ms', median(smallInProcess)),
      withBaseline('open_model_worker_warm_ms', median(warm), 'ms', median(smallInProcess)),
      withBaseline('inspect_onnx_1gb_worker_ms', median(bigWarm), 'ms', median(inProcess)),
      withBaseline('inspect_onnx_1gb_ms', median(inProcess), 'ms', median(pythonMs)),
      withBaseline('inspect_onnx_1gb_rss_mb', med(ours, 'rssMb'), 'MB', med(python, 'rssMb')),
      withBaseline('inspect_onnx_1gb_cli_process_ms', med(ours, 'ms'), 'ms', med(python, 'ms')),
      withBaseline('inspect_onnx_1gb_bytes_read', read, 'bytes'),
      withBaseline('onnx_file_mb', bytes / 1024 / 1024, 'MB'),
      withBaseline('header_10gb_ms', median(headers), 'ms'),
      withBaseline('inspect_sklearn_forest_ms', median(forestMs), 'ms', median(joblibMs)),
      withBaseline('sklearn_forest_file_mb', statSync(forest).size / 1024 / 1024, 'MB'),
      ...graph,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
