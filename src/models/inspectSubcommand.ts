import { resolve } from 'node:path';
import { EXIT, type Subcommand } from '../cli/subcommand';
import { ReaderStopped } from '../common/worker/readerStopped';
import { ModelFormatError } from './fileWindow';
import { formatBytes, formatCount } from '../common/units';
import { FORMAT_NAMES, totalBytes, type IoInfo, type ModelFormat, type ModelInfo } from './modelInfo';
import { ModelReader } from './modelReader';

function io(list: readonly IoInfo[]): string {
  return list.map((i) => `  ${i.name}: ${i.dtype}[${i.shape.join(', ')}]`).join('\n');
}

export function modelText(info: ModelInfo): string {
  const total = totalBytes(info);
  const lines = [`${info.path}`, `  format: ${info.format}, ${formatBytes(total)}${total !== info.fileBytes ? ` (${formatBytes(info.fileBytes)} + ${formatBytes(total - info.fileBytes)} external data)` : ''}`];
  for (const f of info.facts) lines.push(`  ${f.label}: ${f.value}`);
  lines.push(`  tensors: ${info.tensorCount}, parameters: ${formatCount(info.parameterCount)} (${info.parameterCount})`);
  const dtypes = Object.entries(info.bytesByDtype).sort(([, a], [, b]) => b - a);
  if (dtypes.length) lines.push(`  bytes by dtype: ${dtypes.map(([d, b]) => `${d} ${formatBytes(b)}`).join(', ')}`);
  if (info.inputs?.length) lines.push('inputs:', io(info.inputs));
  if (info.outputs?.length) lines.push('outputs:', io(info.outputs));
  if (info.operators && Object.keys(info.operators).length) lines.push(`operators: ${Object.entries(info.operators).map(([op, n]) => `${op} ${n}`).join(', ')}`);
  if (info.externalData?.length) lines.push(`external data: ${info.externalData.join(', ')}`);
  const meta = Object.entries(info.metadata);
  if (meta.length) lines.push('metadata:', ...meta.slice(0, 40).map(([k, v]) => `  ${k}: ${v}`), ...(meta.length > 40 ? [`  … ${meta.length - 40} more`] : []));
  for (const w of info.warnings ?? []) lines.push(`warning: ${w}`);
  for (const p of info.problems) lines.push(`problem: ${p}`);
  return lines.join('\n') + '\n';
}

/** Every format inspectModel reads, as the help lists it: a new ModelFormat fails to compile until it is here. */
const FORMAT_HELP: Readonly<Record<Exclude<ModelFormat, 'unknown'>, string>> = {
  onnx: '.onnx, .ort',
  safetensors: '.safetensors',
  gguf: '.gguf',
  pytorch: '.pt, .pth, .ckpt, .bin (torch.save zip archives and legacy pickles)',
  keras: '.keras (Keras 3 zip archives; .h5 is recognised, not read)',
  sklearn: '.pkl, .pickle, .joblib, .sav (scikit-learn and joblib pickles, read as data, never run)',
};
const FORMATS = Object.keys(FORMAT_HELP) as (keyof typeof FORMAT_HELP)[];
const NAME_WIDTH = Math.max(...FORMATS.map((f) => FORMAT_NAMES[f].length));

export const inspectSubcommand: Subcommand = {
  name: 'inspect',
  summary: `describe a model file (${FORMATS.map((f) => FORMAT_NAMES[f]).join(', ')}) without loading its weights`,
  usage: [
    'Usage: ml-engineer inspect FILE [--json]',
    '',
    'Reads the header and structure of FILE: inputs and outputs, operators and opsets (ONNX),',
    'tensors, parameter count and bytes per dtype, metadata. Weights are skipped, not read.',
    '',
    'Formats (told apart by their first bytes, else by the extension):',
    ...FORMATS.map((f) => `  ${FORMAT_NAMES[f].padEnd(NAME_WIDTH)}  ${FORMAT_HELP[f]}`),
    '',
    'Options:',
    '  --json   print everything as JSON',
    '',
    'Exit code 1 when FILE is not a model this reads, is damaged, or its reading takes more than',
    '20 s or 512 MB (the reader is then stopped).',
    '',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  async run(args, out, signal) {
    const path = args.positionals[0];
    if (!path) {
      out.err('ml-engineer inspect: which file? (ml-engineer inspect FILE)\n');
      return EXIT.usage;
    }
    // Read in a worker thread under the same budget as in the editor: a hostile file ends in an error, not a hang.
    const reader = new ModelReader({ idleMs: 0 });
    try {
      const info = await reader.inspect(resolve(out.cwd, path), signal);
      out.out(args.values.json ? `${JSON.stringify(info, null, 2)}\n` : modelText(info));
      return EXIT.ok;
    } catch (error) {
      const why =
        error instanceof ModelFormatError ? error.message : error instanceof ReaderStopped ? error.why : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      out.err(`ml-engineer inspect: ${path}: ${why}\n`);
      return EXIT.failure;
    } finally {
      reader.dispose();
    }
  },
};
