import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../agent/tools/tool';
import { ModelFormatError } from './fileWindow';
import { inspectModel } from './inspectModel';
import { modelText } from './inspectSubcommand';
import type { ModelInfo } from './modelInfo';

/** The agent's `inspect_model`: a model file's structure, read without loading its weights. */
export function inspectModelTool() {
  return defineTool({
    name: 'inspect_model',
    description:
      'Describes a model file in the workspace without loading its weights: ONNX (IR version, opsets, producer, inputs and outputs with dtypes and ' +
      'shapes incl. symbolic batch dims, operator histogram, initializers, external data), safetensors (tensors, dtypes, parameter count, metadata) ' +
      'GGUF (architecture, context length, quantization types, tensors), PyTorch (.pt/.pth/.ckpt, without running the pickle), Keras (.keras) and ' +
      'scikit-learn pickles (.pkl/.joblib: estimator, pipeline steps, hyperparameters, features, classes, fitted arrays; nothing is unpickled). ' +
      'Use it before exporting, quantizing or serving a model, or to check what an export produced.',
    input: z.object({ path: z.string().check(z.minLength(1)) }),
    risk: 'read',
    async run(input, context) {
      const path = await context.files.resolve(input.path);
      const info = inspectForTool(path, input.path);
      return { content: modelText({ ...info, path: context.files.display(path) }), summary: `${info.format}: ${info.tensorCount} tensors` };
    },
  });
}

/** A file that is not what a model tool needs becomes an error the agent can act on; anything else is rethrown. */
export function asToolInputError(error: unknown, userPath: string): never {
  if (error instanceof ModelFormatError) throw new ToolInputError(`${userPath}: ${error.message}`);
  throw error;
}

/** inspectModel for the agent's tools: `userPath` (as the agent wrote it) names the file in errors. */
export function inspectForTool(path: string, userPath: string): ModelInfo {
  try {
    return inspectModel(path);
  } catch (error) {
    return asToolInputError(error, userPath);
  }
}
