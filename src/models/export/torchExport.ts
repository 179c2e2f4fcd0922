import { basename, dirname, join } from 'node:path';
import { runTorchJob, type PythonJobOptions } from '../pythonJob';
import type { ModelInfo, TorchKind } from '../modelInfo';

// Export of a PyTorch model file through the user's Python and torch: a TorchScript archive or a
// pickled nn.Module to ONNX (dynamic batch axis), a pickled nn.Module to TorchScript. A state dict
// has no architecture and is refused with what to do instead. Loading a pickled module runs code
// from the file (its classes): the caller asks the user first.

export type TorchExportTarget = 'onnx' | 'torchscript';

export type TorchFileKind = TorchKind;

/** From the archive's structure, as the reader found it (words in a file's names or text decide nothing). */
export function torchFileKind(info: Pick<ModelInfo, 'torchKind'>): TorchFileKind {
  return info.torchKind ?? 'weights';
}

export function exportedPath(model: string, target: TorchExportTarget): string {
  const stem = basename(model).replace(/\.(pt|pth|ckpt|bin)$/i, '');
  return join(dirname(model), target === 'onnx' ? `${stem}.onnx` : `${stem}.torchscript.pt`);
}

/** "1, 3, 224, 224" → [1, 3, 224, 224]; undefined when it is not a shape. */
export function parseShape(text: string): number[] | undefined {
  const dims = text.split(/[\s,x×]+/).filter(Boolean).map(Number);
  return dims.length > 0 && dims.length <= 8 && dims.every((d) => Number.isInteger(d) && d > 0 && d <= 100_000) ? dims : undefined;
}

export const TORCH_EXPORT_BODY = `
start = time.time()
model = torch.jit.load(spec["model"], map_location="cpu").eval() if spec["kind"] == "torchscript" else load_module(spec["model"])
example = torch.randn(*spec["shape"])
with torch.no_grad():
    if spec["target"] == "onnx":
        # torch >= 2.9 exports with dynamo by default, which needs onnxscript and takes dynamic_axes only
        # in part: the TorchScript exporter, where torch has the choice, exports what this asks for.
        import inspect
        legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
        torch.onnx.export(model, (example,), spec["out"], input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=spec["opset"], **legacy)
    else:
        torch.jit.trace(model, (example,)).save(spec["out"])
print(json.dumps({"ok": True, "torch": torch.__version__, "seconds": round(time.time() - start, 2)}))
`;

export interface TorchExportResult {
  readonly out: string;
  readonly torchVersion: string;
  readonly seconds: number;
}

export async function exportTorchModel(
  python: string,
  model: string,
  kind: TorchFileKind,
  target: TorchExportTarget,
  shape: readonly number[],
  options: PythonJobOptions & { opset?: number },
): Promise<TorchExportResult> {
  if (kind === 'weights') throw new Error(`${basename(model)} holds weights (a state dict or checkpoint), not a model: load them into your model class in Python and use "Export to ONNX" there (Ctrl+. on torch.save or on the model)`);
  if (kind === 'torchscript' && target === 'torchscript') throw new Error(`${basename(model)} is TorchScript already`);
  const out = exportedPath(model, target);
  const answer = await runTorchJob<{ seconds?: number }>(python, TORCH_EXPORT_BODY, { model, kind, target, shape, out, opset: options.opset ?? 17 }, options, { noun: 'the export', verb: 'export' });
  return { out, torchVersion: answer.torch ?? '?', seconds: answer.seconds ?? 0 };
}
