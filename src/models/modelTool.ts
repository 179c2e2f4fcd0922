import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../agent/tools/tool';
import { ReaderStopped } from '../common/worker/readerStopped';
import { ModelFormatError } from './fileWindow';
import { modelText } from './inspectSubcommand';
import type { ModelInfo } from './modelInfo';
import { inspectModelFile } from './modelReader';

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
    async run(input, context, signal) {
      const path = await context.files.resolve(input.path);
      const info = await inspectForTool(path, input.path, signal);
      return { content: modelText({ ...info, path: context.files.display(path) }), summary: `${info.format}: ${info.tensorCount} tensors` };
    },
  });
}

/** A file that is not what a model tool needs, or that its reader had to stop, becomes an error the agent can act on; anything else is rethrown. */
export function asToolInputError(error: unknown, userPath: string): never {
  if (error instanceof ModelFormatError) throw new ToolInputError(`${userPath}: ${error.message}`);
  if (error instanceof ReaderStopped && error.reason !== 'cancelled' && error.reason !== 'disposed') throw new ToolInputError(`${userPath} could not be read: ${error.why}`);
  throw error;
}

/** inspectModel for the agent's tools, in the reader worker: `userPath` (as the agent wrote it) names the file in errors. */
export async function inspectForTool(path: string, userPath: string, signal?: AbortSignal): Promise<ModelInfo> {
  try {
    return await inspectModelFile(path, signal);
  } catch (error) {
    return asToolInputError(error, userPath);
  }
}
