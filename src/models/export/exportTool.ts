import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { inspectModel } from '../inspectModel';
import { inspectForTool } from '../modelTool';
import { exportedPath, exportTorchModel, torchFileKind } from './torchExport';

/** The agent's `export_model`: a PyTorch file to ONNX or TorchScript through the user's Python, after approval. */
export function exportModelTool(python: () => Promise<string>, cwd: () => string) {
  return defineTool({
    name: 'export_model',
    description:
      'Exports a PyTorch model file with the user\'s Python and torch: a pickled nn.Module (.pth) to ONNX (opset 17, dynamic batch axis) or ' +
      'TorchScript, a TorchScript archive to ONNX. input_shape is one example input, batch first (e.g. [1, 3, 224, 224]). A state dict holds ' +
      'no architecture: for those, propose the export code in the training script instead. Loading a pickled module runs code from the file.',
    input: z.object({
      path: z.string().check(z.minLength(1)),
      target: z.enum(['onnx', 'torchscript']),
      input_shape: z.array(z.number().check(z.int(), z.positive())).check(z.minLength(1), z.maxLength(8)),
    }),
    risk: 'execute',
    confirmation: (input) => `Export ${input.path} to ${input.target} with Python and torch (loading a pickled module runs code from the file)`,
    async run(input, context, signal) {
      const path = await context.files.resolve(input.path);
      const info = inspectForTool(path, input.path);
      if (info.format !== 'pytorch') throw new ToolInputError(`${input.path} is ${info.format}, not a PyTorch file`);
      try {
        const result = await exportTorchModel(await python(), path, torchFileKind(info), input.target, input.input_shape, { cwd: cwd(), signal });
        const out = inspectModel(result.out);
        const io = out.format === 'onnx' ? ` Inputs: ${(out.inputs ?? []).map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ')}; outputs: ${(out.outputs ?? []).map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}.` : '';
        return { content: `Exported ${context.files.display(result.out)} with torch ${result.torchVersion} in ${result.seconds} s.${io}`, summary: `${input.target}: ${context.files.display(exportedPath(path, input.target))}` };
      } catch (error) {
        if (error instanceof ToolInputError) throw error;
        throw new ToolInputError((error as Error).message);
      }
    },
  });
}
