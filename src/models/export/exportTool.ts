import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { inspectModelFile } from '../modelReader';
import { inspectForTool } from '../modelTool';
import { describeSklearnCheck, exportSklearnModel, missingForSklearnExport, sklearnExportPath } from './sklearnExport';
import { exportedPath, exportTorchModel, torchFileKind } from './torchExport';

/** The agent's `export_model`: a PyTorch file to ONNX or TorchScript, or a scikit-learn pickle to ONNX, through the user's Python, after approval. */
export function exportModelTool(python: () => Promise<string>, cwd: () => string) {
  return defineTool({
    name: 'export_model',
    description:
      'Exports a model file with the user\'s Python: a pickled PyTorch nn.Module (.pth) to ONNX (opset 17, dynamic batch axis) or TorchScript, a ' +
      'TorchScript archive to ONNX (torch; input_shape is one example input, batch first, e.g. [1, 3, 224, 224]); a fitted scikit-learn model or ' +
      'pipeline (.pkl/.joblib) to ONNX with skl2onnx (input_shape not needed: the model says its feature count; checked against the estimator ' +
      'on random rows when onnxruntime is installed). A state dict holds no architecture: for those, propose the export code in the training ' +
      'script instead. Loading a pickle runs code from the file.',
    input: z.object({
      path: z.string().check(z.minLength(1)),
      target: z.enum(['onnx', 'torchscript']),
      input_shape: z.optional(z.array(z.number().check(z.int(), z.positive())).check(z.minLength(1), z.maxLength(8))),
    }),
    risk: 'execute',
    confirmation: (input) => `Export ${input.path} to ${input.target} with Python (loading a pickle or TorchScript runs code from the file)`,
    // "Allow for this chat" covers this file as it is now, not another pickle (or this one replaced) later.
    approvalScope: async (input, context) => context.files.identity(await context.files.resolve(input.path)),
    async run(input, context, signal) {
      const path = await context.files.resolve(input.path);
      const info = await inspectForTool(path, input.path, signal);
      if (info.format !== 'pytorch' && info.format !== 'sklearn') throw new ToolInputError(`${input.path} is ${info.format}: export_model takes PyTorch files and scikit-learn pickles`);
      context.files.checkWritable(info.format === 'sklearn' ? sklearnExportPath(path) : exportedPath(path, input.target));
      try {
        if (info.format === 'sklearn') {
          if (input.target !== 'onnx') throw new ToolInputError('a scikit-learn model exports to ONNX only');
          const interpreter = await python();
          const missing = await missingForSklearnExport(interpreter);
          if (missing) throw new ToolInputError(`${missing}. Tell the user; do not install packages without their approval.`);
          const result = await exportSklearnModel(interpreter, path, { cwd: cwd(), signal });
          return { content: `Exported ${context.files.display(result.out)} with skl2onnx ${result.skl2onnxVersion} (scikit-learn ${result.sklearnVersion}, ${result.features} features) in ${result.seconds} s; ${describeSklearnCheck(result)}.${await ioText(result.out)}`, summary: `onnx: ${context.files.display(result.out)}` };
        }
        if (!input.input_shape) throw new ToolInputError('input_shape is needed for a PyTorch export: one example input, batch first');
        const result = await exportTorchModel(await python(), path, torchFileKind(info), input.target, input.input_shape, { cwd: cwd(), signal });
        return { content: `Exported ${context.files.display(result.out)} with torch ${result.torchVersion} in ${result.seconds} s.${await ioText(result.out)}`, summary: `${input.target}: ${context.files.display(exportedPath(path, input.target))}` };
      } catch (error) {
        if (error instanceof ToolInputError) throw error;
        throw new ToolInputError((error as Error).message);
      }
    },
  });
}

/** An exported ONNX model's inputs and outputs, as the agent reads them. */
async function ioText(file: string): Promise<string> {
  const out = await inspectModelFile(file);
  return out.format === 'onnx' ? ` Inputs: ${(out.inputs ?? []).map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ')}; outputs: ${(out.outputs ?? []).map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}.` : '';
}
