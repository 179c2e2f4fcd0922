import { basename, dirname, join } from 'node:path';
import { runTorchJob, type PythonJobOptions } from '../pythonJob';

// Dynamic int8 quantization of a pickled PyTorch module through the user's Python and torch
// (torch.ao.quantization.quantize_dynamic on its Linear / LSTM / GRU layers), saved beside it,
// with the size before and after and the largest output difference on a sample input, measured
// in the same Python. Loading a pickled module runs code from the file: the caller asks first.

export const TORCH_QUANTIZE_BODY = `
model = load_module(spec["model"])
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

export async function quantizeTorchModel(python: string, model: string, shape: readonly number[], options: PythonJobOptions): Promise<TorchQuantizeResult> {
  const out = torchQuantizedPath(model);
  const answer = await runTorchJob<{ layers?: number; before?: number; after?: number; diff?: number | null; scale?: number | null }>(python, TORCH_QUANTIZE_BODY, { model, out, shape }, options, { noun: 'quantization', verb: 'quantize' });
  return { out, layers: answer.layers ?? 0, before: answer.before ?? 0, after: answer.after ?? 0, maxAbsDiff: answer.diff ?? undefined, maxAbs: answer.scale ?? undefined, torchVersion: answer.torch ?? '?' };
}
