import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT, type Subcommand } from '../../cli/subcommand';
import { isAbortError } from '../../common/errors';
import { ModelFormatError } from '../fileWindow';
import { ReaderStopped } from '../../common/worker/readerStopped';
import { ModelReader } from '../modelReader';
import { loadOrt } from '../runtime/onnxRun';
import { compareTwoModels, comparisonMarkdown } from './twoModels';

export const compareModelsSubcommand: Subcommand = {
  name: 'compare-models',
  summary: 'compare two model files: inputs/outputs, sizes, operators; ONNX outputs on the same inputs and a benchmark side by side',
  usage: [
    'Usage: ml-engineer compare-models A B [--no-benchmark] [--json]',
    '',
    'Reads both files (any format inspect reads): inputs and outputs, size, parameters, operators.',
    'When both are ONNX with the same inputs, runs both with onnxruntime-web (CPU, one thread) on the',
    'same sample inputs (3 seeds): the max and mean absolute difference per output; then benchmarks them',
    'in turns (mean ± 95% CI, p50/p95/p99, throughput), unless --no-benchmark.',
    '',
    'Exit code 1 when a file cannot be read or run.',
    '',
  ].join('\n'),
  options: { json: { type: 'boolean' }, 'no-benchmark': { type: 'boolean' } },
  async run(args, io, signal) {
    const [a, b] = args.positionals;
    if (!a || !b || args.positionals.length > 2) {
      io.err('ml-engineer compare-models: give two model files (ml-engineer compare-models A B)\n');
      return EXIT.usage;
    }
    const reader = new ModelReader({ idleMs: 0 });
    try {
      const [pa, pb] = [resolve(io.cwd, a), resolve(io.cwd, b)];
      const [ia, ib] = [await reader.inspect(pa, signal), await reader.inspect(pb, signal)];
      // The packaged CLI (dist/cli.js) has onnxruntime-web in dist/lazy/ort.js; from source, the package.
      const bundled = join(__dirname, 'lazy', 'ort.js');
      const ort = () => (existsSync(bundled) ? loadOrt(bundled) : loadOrt());
      const result = await compareTwoModels(ort, { path: pa, info: ia }, { path: pb, info: ib }, { signal, skipBenchmark: args.values['no-benchmark'] === true, maxSeconds: 5 });
      io.out(args.values.json === true ? `${JSON.stringify(result, (_, v: unknown) => (v === Infinity ? 'Infinity' : v), 2)}\n` : comparisonMarkdown(result));
      return EXIT.ok;
    } catch (error) {
      if (isAbortError(error)) return EXIT.cancelled;
      const why = error instanceof ModelFormatError ? error.message : error instanceof ReaderStopped ? error.why : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      io.err(`ml-engineer compare-models: ${why}\n`);
      return EXIT.failure;
    } finally {
      reader.dispose();
    }
  },
};
