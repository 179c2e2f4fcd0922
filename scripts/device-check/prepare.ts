// Prepares the GPU machine check (run.sh): the extension's Python jobs exactly as it runs them,
// each with its spec, under .scratch/device/ (carried to the machine). Run here, before the call:
//   node --import tsx scripts/device-check/prepare.ts
// then, with the device tool: run(command="bash scripts/device-check/run.sh", carry=[".scratch/device"], timeout_s=420)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_FIELDS } from '../../src/gpu/gpuSample';
import { SKLEARN_EXPORT_SCRIPT } from '../../src/models/export/sklearnExport';
import { TORCH_EXPORT_BODY } from '../../src/models/export/torchExport';
import { ONNX_OPTIMIZE_SCRIPT } from '../../src/models/optimize/pythonOptimize';
import { TORCH_QUANTIZE_BODY } from '../../src/models/optimize/torchQuantize';
import { TORCH_PRELUDE } from '../../src/models/pythonJob';

const out = join(__dirname, '..', '..', '.scratch', 'device');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'jobs'), { recursive: true });
// WORK in a spec is the machine's work folder (run.sh substitutes it).
const jobs: Record<string, [string, Record<string, unknown>]> = {
  optimize_int8: [ONNX_OPTIMIZE_SCRIPT, { model: 'WORK/simple_cnn.onnx', out: 'WORK/simple_cnn.int8.onnx', precision: 'int8' }],
  optimize_fp16: [ONNX_OPTIMIZE_SCRIPT, { model: 'WORK/simple_cnn.onnx', out: 'WORK/simple_cnn.fp16.onnx', precision: 'fp16' }],
  export_onnx: [TORCH_PRELUDE + TORCH_EXPORT_BODY, { model: 'WORK/net.pth', kind: 'pickled-module', target: 'onnx', shape: [1, 12], out: 'WORK/net.onnx', opset: 17 }],
  export_torchscript: [TORCH_PRELUDE + TORCH_EXPORT_BODY, { model: 'WORK/net.pth', kind: 'pickled-module', target: 'torchscript', shape: [1, 12], out: 'WORK/net.torchscript.pt', opset: 17 }],
  quantize_torch: [TORCH_PRELUDE + TORCH_QUANTIZE_BODY, { model: 'WORK/net.pth', out: 'WORK/net.int8.pth', shape: [4, 12] }],
  export_sklearn: [SKLEARN_EXPORT_SCRIPT, { model: 'WORK/pipe.joblib', out: 'WORK/pipe.onnx', opset: 17 }],
};
for (const [name, [script, spec]] of Object.entries(jobs)) {
  writeFileSync(join(out, 'jobs', `${name}.py`), script);
  writeFileSync(join(out, 'jobs', `${name}.json`), JSON.stringify({ ...spec, cwd: 'WORK' }));
}
writeFileSync(join(out, 'nvidia-smi-fields.txt'), SAMPLE_FIELDS.join(','));
console.log(`wrote ${Object.keys(jobs).length} jobs to ${out}`);
