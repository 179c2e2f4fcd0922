import { basename, dirname, join } from 'node:path';
import { runProcess } from '../../common/process';
import type { ModelInfo } from '../modelInfo';

// Export of a PyTorch model file through the user's Python and torch: a TorchScript archive or a
// pickled nn.Module to ONNX (dynamic batch axis), a pickled nn.Module to TorchScript. A state dict
// has no architecture and is refused with what to do instead. Loading a pickled module runs code
// from the file (its classes): the caller asks the user first.

export type TorchExportTarget = 'onnx' | 'torchscript';

export type TorchFileKind = 'torchscript' | 'pickled-module' | 'weights';

export function torchFileKind(info: Pick<ModelInfo, 'format' | 'facts'>): TorchFileKind {
  const facts = info.facts.map((f) => f.value).join(' ');
  if (/TorchScript/.test(facts)) return 'torchscript';
  if (/a pickled .* object/.test(info.facts.find((f) => f.label === 'Contents')?.value ?? '')) return 'pickled-module';
  return 'weights';
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

const SCRIPT = `
import json, sys, time
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["cwd"])  # the user's modules, for a pickled module's classes
try:
    import torch
except ImportError:
    print(json.dumps({"error": "torch is not installed in this Python"})); sys.exit(0)
start = time.time()
if spec["kind"] == "torchscript":
    model = torch.jit.load(spec["model"], map_location="cpu")
else:
    model = torch.load(spec["model"], map_location="cpu", weights_only=False)
    if not isinstance(model, torch.nn.Module):
        print(json.dumps({"error": "the file holds a %s, not an nn.Module" % type(model).__name__})); sys.exit(0)
model.eval()
example = torch.randn(*spec["shape"])
with torch.no_grad():
    if spec["target"] == "onnx":
        torch.onnx.export(model, (example,), spec["out"], input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=spec["opset"])
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
  options: { cwd: string; signal?: AbortSignal; timeoutMs?: number; opset?: number },
): Promise<TorchExportResult> {
  if (kind === 'weights') throw new Error(`${basename(model)} holds weights (a state dict or checkpoint), not a model: load them into your model class in Python and use "Export to ONNX" there (Ctrl+. on torch.save or on the model)`);
  if (kind === 'torchscript' && target === 'torchscript') throw new Error(`${basename(model)} is TorchScript already`);
  const out = exportedPath(model, target);
  const spec = { model, kind, target, shape, out, cwd: options.cwd, opset: options.opset ?? 17 };
  const result = await runProcess(python, ['-c', SCRIPT, JSON.stringify(spec)], {
    timeoutMs: options.timeoutMs ?? 300_000,
    cwd: options.cwd,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.kind === 'cancelled') throw new Error('cancelled');
  if (result.kind === 'not-found') throw new Error(`${python} could not be run: ${result.message}`);
  if (result.kind === 'timed-out') throw new Error(`the export did not finish in ${result.timeoutMs / 1000} s`);
  const last = result.stdout.trim().split('\n').pop() ?? '';
  let answer: { ok?: boolean; error?: string; torch?: string; seconds?: number } = {};
  try {
    answer = JSON.parse(last) as typeof answer;
  } catch {
    // Python failed before printing: its traceback's last line says why.
  }
  if (answer.error) throw new Error(answer.error);
  if (!answer.ok) {
    const reason = result.stderr.trim().split('\n').slice(-1)[0] ?? `exit code ${String(result.code)}`;
    // A module pickled from a script's __main__ can only be loaded by that script.
    if (/Can't get attribute .* on <module '__main__'/.test(reason)) throw new Error(`${basename(model)} pickles a class defined in a script's __main__ (${reason.replace(/^.*Can't get attribute '([^']+)'.*$/, '$1')}): export it from that script instead (Ctrl+. on the model there)`);
    throw new Error(`the export failed: ${reason}`);
  }
  return { out, torchVersion: answer.torch ?? '?', seconds: answer.seconds ?? 0 };
}
