import { EXIT, type Subcommand } from '../cli/subcommand';
import { pythonCandidates } from '../python/pythonInterpreter';
import { collectEnvironment } from './environmentReport';
import { formatReportText } from './formatReport';

export const doctorSubcommand: Subcommand = {
  name: 'doctor',
  summary: 'check Node, Python and its ML packages, Jupyter, GPUs and the API key',
  usage: [
    'Usage: ml-engineer doctor [--json] [--python PATH] [--nvidia-smi PATH]',
    '',
    'Reports what the extension will find on this machine: Node.js, the Python interpreter',
    'and its ML packages, whether local Jupyter kernels can start, the NVIDIA GPUs, whether',
    'ANTHROPIC_API_KEY is set (never its value), and each missing package with the feature it',
    'limits and the command that installs it into that interpreter.',
    '',
    'Options:',
    '  --json              print the report as JSON',
    '  --python PATH       the interpreter to check first (default: $ML_ENGINEER_PYTHON, then python3, python)',
    '  --nvidia-smi PATH   the nvidia-smi to run (default: nvidia-smi on PATH)',
    '',
    'Exit code 0 when the report was made (missing pieces are reported, not failures).',
    '',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    python: { type: 'string' },
    'nvidia-smi': { type: 'string' },
  },
  async run(args, io, signal) {
    const configured = typeof args.values.python === 'string' ? args.values.python : io.env.ML_ENGINEER_PYTHON;
    const nvidiaSmi = typeof args.values['nvidia-smi'] === 'string' ? args.values['nvidia-smi'] : 'nvidia-smi';
    const report = await collectEnvironment({ pythonCandidates: pythonCandidates(configured, undefined), nvidiaSmi, signal, env: io.env });
    if (signal.aborted) return EXIT.cancelled;
    io.out(args.values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReportText(report));
    return EXIT.ok;
  },
};
