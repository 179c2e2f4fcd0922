import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_MODEL } from '../agent/models';
import type { ToolRisk } from '../agent/tools/tool';
import { EXIT, type Subcommand } from '../cli/subcommand';

const RISKS: readonly ToolRisk[] = ['read', 'write', 'execute'];

export const askSubcommand: Subcommand = {
  name: 'ask',
  summary: 'ask the ML Engineer agent (Claude, with the workspace tools) one question from a terminal or a script',
  usage: [
    'Usage: ml-engineer ask "PROMPT" [--allow read|write|execute]... [--model M] [--json] [--folder DIR]',
    '',
    "Runs the chat's agent on PROMPT in DIR (default: the current folder), with the same tools:",
    'files, experiment runs, model files, datasets, GPUs, a Jupyter kernel. The answer streams to',
    'stdout; tool calls and their outcomes go to stderr.',
    '',
    'Tools that change files (write) or run code (execute) are asked about on the terminal, unless',
    '--allow names their kind; with no terminal (a pipe, CI) they are refused.',
    '',
    'Options:',
    '  --allow KIND       run tools of this kind without asking: write, execute (repeatable;',
    '                     read tools always run)',
    `  --model M          the Claude model (default ${DEFAULT_MODEL})`,
    '  --json             print one JSON report after the run: text, tool_calls, stop_reason, usage',
    '  --folder DIR       the workspace folder (default: the current folder)',
    '  --python PATH      the Python for the kernel and model exports (default: python3 on PATH)',
    '  --nvidia-smi PATH  the nvidia-smi gpu_status runs',
    '',
    'Environment: ANTHROPIC_API_KEY (required), ANTHROPIC_BASE_URL (a gateway or proxy).',
    'Exit code 0 when the answer is complete, 1 when the run failed or was stopped, 2 for a usage',
    'error, 130 when interrupted.',
    '',
  ].join('\n'),
  options: {
    allow: { type: 'string', multiple: true },
    model: { type: 'string' },
    json: { type: 'boolean' },
    folder: { type: 'string' },
    python: { type: 'string' },
    'nvidia-smi': { type: 'string' },
  },
  async run(args, io, signal) {
    const prompt = args.positionals.join(' ').trim();
    if (!prompt) {
      io.err(`ml-engineer ask: a prompt is needed\n\n${this.usage}`);
      return EXIT.usage;
    }
    const allowValues = ([] as unknown[]).concat(args.values.allow ?? []).flatMap((v) => String(v).split(','));
    const unknown = allowValues.filter((v) => !RISKS.includes(v as ToolRisk));
    if (unknown.length > 0) {
      io.err(`ml-engineer ask: --allow takes ${RISKS.join(', ')}; not ${unknown.join(', ')}\n`);
      return EXIT.usage;
    }
    const apiKey = io.env.ANTHROPIC_API_KEY?.trim();
    if (!apiKey) {
      io.err('ml-engineer ask: set ANTHROPIC_API_KEY to an Anthropic API key (console.anthropic.com, API Keys)\n');
      return EXIT.usage;
    }
    const folder = resolve(io.cwd, typeof args.values.folder === 'string' ? args.values.folder : '.');
    if (!isFolder(folder)) {
      io.err(`ml-engineer ask: ${folder} is not a folder\n`);
      return EXIT.usage;
    }
    const baseURL = io.env.ANTHROPIC_BASE_URL?.trim();
    const { runHeadless } = await import('./headlessAgent');
    return runHeadless(
      {
        prompt,
        folder,
        apiKey,
        ...(baseURL ? { baseURL } : {}),
        model: typeof args.values.model === 'string' && args.values.model.trim() ? args.values.model.trim() : DEFAULT_MODEL,
        allowed: new Set<ToolRisk>(['read', ...(allowValues as ToolRisk[])]),
        json: args.values.json === true,
        ...(typeof args.values.python === 'string' ? { python: args.values.python } : {}),
        ...(typeof args.values['nvidia-smi'] === 'string' ? { nvidiaSmi: args.values['nvidia-smi'] } : {}),
      },
      io,
      process.stdin,
      signal,
    );
  },
};

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
