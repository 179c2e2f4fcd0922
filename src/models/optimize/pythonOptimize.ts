import { checkModules } from '../../python/pythonModules';
import { PYTHON_EXTERNAL_DATA_CHECK } from '../externalData';
import { JOB_PRELUDE, runPythonJob, type PythonJobOptions } from '../pythonJob';

// ONNX optimization through the user's Python where it has the standard tools: int8 by
// onnxruntime.quantization.quantize_dynamic (weights int8, activations quantized at run time:
// MatMulInteger / ConvInteger), fp16 by onnxconverter-common's convert_float_to_float16 (which
// keeps blocked operators in float32 with Casts around them). Where the Python lacks them, the
// caller uses the built-in rewrites (onnxWeightQuantize.ts, onnxFloat16.ts) and says why.

/** The precisions Optimize offers (optimizeModel.ts re-exports it). */
export type Precision = 'int8' | 'fp16';

export interface PythonOptimizers {
  /** onnxruntime's version when `onnxruntime.quantization` imports. */
  readonly onnxruntime?: string;
  /** onnxconverter-common's version when it and onnx import. */
  readonly onnxconverterCommon?: string;
  /** Why each is missing, as Python said it. */
  readonly missing: Readonly<Record<Precision, string | undefined>>;
}

/** What `python` can optimize with; never throws (a Python that cannot be asked has nothing). */
export async function pythonOptimizers(python: string): Promise<PythonOptimizers> {
  const [int8, fp16] = await checkModules(python, [
    { module: 'onnxruntime.quantization', label: 'onnxruntime' },
    { module: 'onnxconverter_common.float16', label: 'onnxconverter-common' },
  ]);
  return {
    ...(int8!.version !== undefined ? { onnxruntime: int8!.version } : {}),
    ...(fp16!.version !== undefined ? { onnxconverterCommon: fp16!.version } : {}),
    missing: { int8: int8!.problem, fp16: fp16!.problem },
  };
}

export const ONNX_OPTIMIZE_SCRIPT = `${JOB_PRELUDE}${PYTHON_EXTERNAL_DATA_CHECK}
start = time.time()
# onnx.load (here and in quantize_dynamic) reads every tensor's external file: checked first.
check_external_data(spec["model"])
if spec["precision"] == "int8":
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(spec["model"], spec["out"], weight_type=QuantType.QInt8)
    tool = "onnxruntime %s quantize_dynamic" % onnxruntime.__version__
else:
    import onnx
    import onnxconverter_common
    from onnxconverter_common import float16
    model = onnx.load(spec["model"])  # with its external data, from beside it
    onnx.save(float16.convert_float_to_float16(model, keep_io_types=True), spec["out"])
    tool = "onnxconverter-common %s convert_float_to_float16" % onnxconverter_common.__version__
print(json.dumps({"ok": True, "tool": tool, "seconds": round(time.time() - start, 2)}))
`;

/** Writes `out`, the `precision` copy of the ONNX model `model`, with the Python tool; returns what did it. */
export async function optimizeWithPython(python: string, model: string, out: string, precision: Precision, options: PythonJobOptions): Promise<{ tool: string; seconds: number }> {
  const answer = await runPythonJob<{ tool?: string; seconds?: number }>(python, ONNX_OPTIMIZE_SCRIPT, { model, out, precision }, options, { noun: 'the optimization', verb: 'optimize' });
  return { tool: answer.tool ?? '?', seconds: answer.seconds ?? 0 };
}
