import type { ModelSite } from './modelSites';

// The code inserted by the Python code actions, fitted to the site: the user's variable names,
// an example input from their own data when the file has one, paths beside where they save.

export type ModelAction = 'export-onnx' | 'export-torchscript' | 'quantize-dynamic';

export const ACTION_TITLES: Readonly<Record<ModelAction, string>> = {
  'export-onnx': 'Export to ONNX',
  'export-torchscript': 'Export to TorchScript',
  'quantize-dynamic': 'Quantize (dynamic int8)',
};

export function actionsFor(site: ModelSite): ModelAction[] {
  switch (site.framework) {
    case 'pytorch':
      return ['export-onnx', 'export-torchscript', 'quantize-dynamic'];
    case 'transformers':
      return ['export-onnx', 'quantize-dynamic'];
    case 'keras':
      return ['export-onnx', 'quantize-dynamic'];
    case 'sklearn':
      return ['export-onnx'];
  }
}

/** `models/net.pt` → `models/net.onnx`; no save path → `<model>.onnx`. */
function beside(site: ModelSite, suffix: string): string {
  const stem = site.savePath ? site.savePath.replace(/\.[A-Za-z0-9]+$/, '') : site.model;
  return `${stem}${suffix}`;
}

/** The snippet's lines (unindented); `snippetFor` indents them like the site's statement. */
function body(site: ModelSite, action: ModelAction): string[] {
  const m = site.model;
  const torchImport = site.torchImported ? [] : ['import torch'];
  // An example batch from the user's own data when the file calls the model on some; else a stand-in to edit.
  const exampleSetup = site.exampleInput ? [] : ['example_input = torch.randn(1, 3, 224, 224)  # TODO: one batch shaped like your real input'];
  const example = site.exampleInput ? `${site.exampleInput}[:1]` : 'example_input';
  switch (`${site.framework}:${action}`) {
    case 'pytorch:export-onnx':
      return [
        `# Export ${m} to ONNX with a dynamic batch axis (ML Engineer).`,
        ...torchImport,
        `${m}.eval()`,
        ...exampleSetup,
        'torch.onnx.export(',
        `    ${m},`,
        `    (${example},),`,
        `    ${JSON.stringify(beside(site, '.onnx'))},`,
        '    input_names=["input"],',
        '    output_names=["output"],',
        '    dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},',
        '    opset_version=17,',
        ')',
      ];
    case 'pytorch:export-torchscript':
      return [`# Export ${m} to TorchScript by tracing (ML Engineer).`, ...torchImport, `${m}.eval()`, ...exampleSetup, `torch.jit.trace(${m}, (${example},)).save(${JSON.stringify(beside(site, '.torchscript.pt'))})`];
    case 'pytorch:quantize-dynamic':
    case 'transformers:quantize-dynamic':
      return [
        `# Dynamic int8 quantization of ${m}'s Linear layers (ML Engineer): smaller, faster on CPU; check accuracy after.`,
        ...torchImport,
        `${m}_int8 = torch.ao.quantization.quantize_dynamic(${m}.eval(), {torch.nn.Linear}, dtype=torch.qint8)`,
        `torch.save(${m}_int8.state_dict(), ${JSON.stringify(beside(site, '.int8.pt'))})`,
      ];
    case 'transformers:export-onnx':
      return [
        `# Export ${m} to ONNX with dynamic batch and sequence axes (ML Engineer).`,
        ...torchImport,
        `${m}.eval()`,
        'example = {"input_ids": torch.ones(1, 16, dtype=torch.long), "attention_mask": torch.ones(1, 16, dtype=torch.long)}',
        'torch.onnx.export(',
        `    ${m},`,
        '    (example["input_ids"], example["attention_mask"]),',
        `    ${JSON.stringify(`${m}.onnx`)},`,
        '    input_names=["input_ids", "attention_mask"],',
        '    output_names=["logits"],',
        '    dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},',
        '    opset_version=17,',
        ')',
      ];
    case 'sklearn:export-onnx':
      return [
        `# Export ${m} to ONNX (ML Engineer): needs skl2onnx (pip install skl2onnx).`,
        'from skl2onnx import to_onnx',
        '',
        ...(site.exampleInput ? [] : ['example_rows = X[:1]  # TODO: one row of the features the model was fitted on']),
        `${m}_onnx = to_onnx(${m}, ${site.exampleInput ? `${site.exampleInput}[:1]` : 'example_rows'}.astype("float32"))`,
        `with open(${JSON.stringify(`${m}.onnx`)}, "wb") as f:`,
        `    f.write(${m}_onnx.SerializeToString())`,
      ];
    case 'keras:export-onnx':
      return [`# Export ${m} to ONNX (ML Engineer): needs tf2onnx (pip install tf2onnx).`, 'import tf2onnx', '', `tf2onnx.convert.from_keras(${m}, output_path=${JSON.stringify(`${m}.onnx`)}, opset=17)`];
    case 'keras:quantize-dynamic':
      return [
        `# Dynamic-range int8 quantization of ${m} with TensorFlow Lite (ML Engineer).`,
        'import tensorflow as tf',
        '',
        `converter = tf.lite.TFLiteConverter.from_keras_model(${m})`,
        'converter.optimizations = [tf.lite.Optimize.DEFAULT]',
        `with open(${JSON.stringify(`${m}.int8.tflite`)}, "wb") as f:`,
        '    f.write(converter.convert())',
      ];
    default:
      throw new Error(`${action} is not offered for ${site.framework}`);
  }
}

/** The text to insert after the site's statement (each line indented like it, ending with a newline). */
export function snippetFor(site: ModelSite, action: ModelAction): string {
  return body(site, action).map((l) => (l ? site.indent + l : '')).join('\n') + '\n';
}
