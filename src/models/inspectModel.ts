import { extname } from 'node:path';
import { externalDataSizes } from './externalData';
import { FileWindow, ModelFormatError } from './fileWindow';
import { readGguf } from './ggufHeader';
import { isKerasArchive, readKeras } from './kerasArchive';
import type { ModelInfo } from './modelInfo';
import { readOnnx } from './onnxModel';
import { isPytorchLegacy, readPytorchLegacy, readPytorchZip } from './pytorchArchive';
import { readSafetensors } from './safetensorsHeader';
import { looksLikePickledModel, readPickledModel } from './sklearnPickle';
import { readZipDirectory } from './zipArchive';

// Which reader a file gets: by its first bytes where the format has a magic number, else by its
// extension (ONNX and safetensors have none). Never throws anything but ModelFormatError / fs errors.

export function sniffFormat(path: string, head: Uint8Array): 'onnx' | 'safetensors' | 'gguf' | 'zip' | 'hdf5' | 'pickle' | undefined {
  const text = new TextDecoder('latin1').decode(head.subarray(0, 8));
  if (text.startsWith('GGUF')) return 'gguf';
  if (text.startsWith('PK\u0003\u0004')) return 'zip';
  if (text === '\u0089HDF\r\n\u001a\n') return 'hdf5';
  if (looksLikePickledModel(path, head)) return 'pickle';
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.onnx' || ext === '.ort') return 'onnx';
  // A safetensors file starts with a small little-endian header size followed by '{'.
  if (head.length >= 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) return 'safetensors';
  return undefined;
}

export function inspectModel(path: string): ModelInfo {
  const file = new FileWindow(path);
  try {
    if (file.size === 0) throw new ModelFormatError('the file is empty');
    const head = file.read(0, Math.min(16, file.size), 'the first bytes');
    const format = sniffFormat(path, head);
    switch (format) {
      case 'gguf':
        return readGguf(file);
      case 'safetensors':
        return readSafetensors(file);
      case 'onnx': {
        // The weights may live beside the model: its size on disk counts them too.
        const info = readOnnx(file);
        return info.externalData ? { ...info, externalDataBytes: externalDataSizes(path, info.externalData) } : info;
      }
      case 'zip': {
        const entries = readZipDirectory(file);
        if (isKerasArchive(entries)) return readKeras(file, entries);
        return readPytorchZip(file, entries);
      }
      case 'hdf5':
        throw new ModelFormatError('an HDF5 file (Keras .h5): recognised, but not read');
      case 'pickle':
        return isPytorchLegacy(head) ? readPytorchLegacy(file) : readPickledModel(file);
      default:
        if (file.size > 262 && new TextDecoder('latin1').decode(file.read(257, 5, 'a tar header')) === 'ustar') {
          throw new ModelFormatError('a tar archive (PyTorch files from before 0.4 were tar files): recognised, but not read');
        }
        throw new ModelFormatError('not a model format this reads (ONNX, safetensors, GGUF, PyTorch, Keras, scikit-learn pickles)');
    }
  } finally {
    file.close();
  }
}
