import { basename, dirname, join } from 'node:path';
import { runProcess } from '../../common/process';

// Dynamic int8 quantization of a pickled PyTorch module through the user's Python and torch
// (torch.ao.quantization.quantize_dynamic on its Linear / LSTM / GRU layers), saved beside it,
// with the size before and after and the largest output difference on a sample input, measured
// in the same Python. Loading a pickled module runs code from the file: the caller asks first.

const SCRIPT = `
import json, os, sys
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["cwd"])
try:
    import torch
except ImportError:
    print(json.dumps({"error": "torch is not installed in this Python"})); sys.exit(0)
model = torch.load(spec["model"], map_location="cpu", weights_only=False)
if not isinstance(model, torch.nn.Module):
    print(json.dumps({"error": "the file holds a %s, not an nn.Module" % type(model).__name__})); sys.exit(0)
model.eval()
layers = {torch.nn.Linear, torch.nn.LSTM, torch.nn.GRU}
found = sum(isinstance(m, tuple(layers)) for m in model.modules())
if found == 0:
    print(json.dumps({"error": "no Linear, LSTM or GRU layers: dynamic quantization would change nothing (use static quantization for convolutions)"})); sys.exit(0)
quantized = torch.ao.quantization.quantize_dynamic(model, layers, dtype=torch.qint8)
torch.save(quantized, spec["out"])
torch.manual_seed(0)
example = torch.randn(*spec["shape"])
with torch.no_grad():
    a, b = model(example), quantized(example)
diff = float((a - b).abs().max()) if isinstance(a, torch.Tensor) else None
scale = float(a.abs().max()) if isinstance(a, torch.Tensor) else None
print(json.dumps({"ok": True, "layers": found, "before": os.path.getsize(spec["model"]), "after": os.path.getsize(spec["out"]), "diff": diff, "scale": scale, "torch": torch.__version__}))
`;

export interface TorchQuantizeResult {
  readonly out: string;
  readonly layers: number;
  readonly before: number;
  readonly after: number;
  /** Largest absolute output difference on the sample input (undefined when the output is not one tensor). */
  readonly maxAbsDiff: number | undefined;
  readonly maxAbs: number | undefined;
  readonly torchVersion: string;
}

export function torchQuantizedPath(model: string): string {
  return join(dirname(model), `${basename(model).replace(/\.(pt|pth)$/i, '')}.int8.pth`);
}

export async function quantizeTorchModel(python: string, model: string, shape: readonly number[], options: { cwd: string; signal?: AbortSignal; timeoutMs?: number }): Promise<TorchQuantizeResult> {
  const out = torchQuantizedPath(model);
  const result = await runProcess(python, ['-c', SCRIPT, JSON.stringify({ model, out, shape, cwd: options.cwd })], {
    timeoutMs: options.timeoutMs ?? 300_000,
    cwd: options.cwd,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.kind === 'cancelled') throw new Error('cancelled');
  if (result.kind === 'not-found') throw new Error(`${python} could not be run: ${result.message}`);
  if (result.kind === 'timed-out') throw new Error(`quantization did not finish in ${result.timeoutMs / 1000} s`);
  let answer: { ok?: boolean; error?: string; layers?: number; before?: number; after?: number; diff?: number | null; scale?: number | null; torch?: string } = {};
  try {
    answer = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as typeof answer;
  } catch {
    // Python failed before printing: its traceback's last line says why.
  }
  if (answer.error) throw new Error(answer.error);
  if (!answer.ok) {
    const reason = result.stderr.trim().split('\n').slice(-1)[0] ?? `exit code ${String(result.code)}`;
    if (/Can't get attribute .* on <module '__main__'/.test(reason)) throw new Error(`${basename(model)} pickles a class defined in a script's __main__: quantize it in that script (Ctrl+. on the model there)`);
    throw new Error(`quantization failed: ${reason}`);
  }
  return { out, layers: answer.layers ?? 0, before: answer.before ?? 0, after: answer.after ?? 0, maxAbsDiff: answer.diff ?? undefined, maxAbs: answer.scale ?? undefined, torchVersion: answer.torch ?? '?' };
}
