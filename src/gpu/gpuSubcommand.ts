import { EXIT, type Subcommand } from '../cli/subcommand';
import { silentLogger } from '../common/logger';
import { formatGiB, type GpuSample } from './gpuSample';
import { NvidiaSmiSampler } from './nvidiaSmiSampler';

function table(samples: readonly GpuSample[]): string {
  return (
    samples
      .map(
        (g) =>
          `${g.index}  ${g.name.padEnd(28)} ${String(g.utilizationGpu ?? '–').padStart(3)}%  ${formatGiB(g.memoryUsedMiB).padStart(5)}/${formatGiB(g.memoryTotalMiB)} GiB  ` +
          `${g.temperatureC ?? '–'} °C  ${g.powerDrawW ?? '–'}/${g.powerLimitW ?? '–'} W`,
      )
      .join('\n') + '\n'
  );
}

export const gpuSubcommand: Subcommand = {
  name: 'gpu',
  summary: 'show NVIDIA GPU utilisation, memory, temperature and power',
  usage: [
    'Usage: ml-engineer gpu [--json] [--watch] [--interval MS] [--nvidia-smi PATH]',
    '',
    'Reads the GPUs through one nvidia-smi process, as the status bar does.',
    '',
    'Options:',
    '  --json              print samples as JSON (one line per sample with --watch)',
    '  --watch             keep printing until interrupted (Ctrl+C)',
    '  --interval MS       sampling period with --watch (default 1000)',
    '  --nvidia-smi PATH   the nvidia-smi to run (default: nvidia-smi on PATH)',
    '',
    'Exit code 1 when no GPU could be read.',
    '',
  ].join('\n'),
  options: { json: { type: 'boolean' }, watch: { type: 'boolean' }, interval: { type: 'string' }, 'nvidia-smi': { type: 'string' } },
  run(args, io, signal) {
    const interval = Number(args.values.interval ?? 1000);
    if (!Number.isFinite(interval) || interval < 100) {
      io.err('ml-engineer gpu: --interval must be at least 100 (ms)\n');
      return Promise.resolve(EXIT.usage);
    }
    const command = typeof args.values['nvidia-smi'] === 'string' ? args.values['nvidia-smi'] : 'nvidia-smi';
    return new Promise((resolve) => {
      const finish = (code: number): void => {
        clearTimeout(timeout);
        sampler.stop();
        resolve(code);
      };
      const sampler = new NvidiaSmiSampler({
        command,
        intervalMs: interval,
        log: silentLogger,
        onSnapshot: (samples) => {
          io.out(args.values.json ? `${JSON.stringify(samples, null, args.values.watch ? undefined : 2)}\n` : table(samples));
          if (!args.values.watch) finish(EXIT.ok);
        },
        onState: (state) => {
          if (state.kind === 'unavailable' || (state.kind === 'failing' && !args.values.watch)) {
            io.err(`ml-engineer gpu: ${state.message}\n`);
            finish(EXIT.failure);
          }
        },
      });
      const timeout = setTimeout(() => {
        if (!args.values.watch) {
          io.err(`ml-engineer gpu: ${command} gave no sample within 15 s\n`);
          finish(EXIT.failure);
        }
      }, 15_000);
      signal.addEventListener('abort', () => finish(EXIT.cancelled), { once: true });
      sampler.start();
    });
  },
};
