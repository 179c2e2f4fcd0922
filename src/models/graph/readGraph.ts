import { FileWindow, ModelFormatError } from '../fileWindow';
import { sniffFormat } from '../inspectModel';
import type { ModelGraph } from './graphData';
import { readOnnxGraph } from './onnxGraph';

/** The graph of the model at `path`, for the graph view and its tool (in the readers' worker). ONNX only. */
export function readModelGraph(path: string): ModelGraph {
  const file = new FileWindow(path);
  try {
    if (file.size === 0) throw new ModelFormatError('the file is empty');
    const format = sniffFormat(path, file.read(0, Math.min(16, file.size), 'the first bytes'));
    if (format !== 'onnx') throw new ModelFormatError(`the graph view reads ONNX models; this is ${format === undefined ? 'not one' : `a ${format} file`} (its summary is in the model viewer)`);
    return readOnnxGraph(file);
  } finally {
    file.close();
  }
}
