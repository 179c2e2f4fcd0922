import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT, type Subcommand } from '../cli/subcommand';
import type { StudyFile } from './studyDiscovery';
import type { StudyFileSnapshot } from './studyModel';
import { StudyReaders } from './studyReaders';
import { studiesText, studySummaryText } from './studyText';

const jsonSafe = (_k: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

export const studiesSubcommand: Subcommand = {
  name: 'studies',
  summary: 'list Optuna studies (SQLite storage, journal logs) with trials by state and the best value',
  usage: [
    'Usage: ml-engineer studies [PATH] [--json] [--study NAME]',
    '',
    'Lists the Optuna studies in PATH (default: the current folder): an RDB storage SQLite file,',
    'a JournalFileStorage log, or a folder searched for them (files whose schema is Optuna\'s).',
    'No Python needed; a damaged file is reported, never hangs the command.',
    '',
    'Options:',
    '  --json            print the studies as JSON (every trial: state, values, params, reports)',
    '  --study NAME      one study in detail: search space, best trials, importances, best region',
    '',
    'Exit code 1 when PATH holds no study.',
    '',
  ].join('\n'),
  options: { json: { type: 'boolean' }, study: { type: 'string' } },
  async run(args, io) {
    const path = resolve(io.cwd, args.positionals[0] ?? '.');
    const readers = new StudyReaders();
    try {
      let files: StudyFile[];
      try {
        if ((await stat(path)).isDirectory()) files = (await readers.discover(path, { timeoutMs: 10_000 })).found;
        else {
          const kind = await readers.kindOf(path);
          if (!kind) {
            io.err(`ml-engineer studies: ${path} is not an Optuna SQLite storage or journal log\n`);
            return EXIT.failure;
          }
          files = [{ kind, path }];
        }
      } catch (error) {
        io.err(`ml-engineer studies: ${path}: ${(error as Error).message}\n`);
        return EXIT.failure;
      }
      const snapshots: StudyFileSnapshot[] = [];
      for (const file of files) snapshots.push(await readers.read(file));
      for (const s of snapshots) for (const p of s.problems) io.err(`ml-engineer studies: ${s.path}: ${p}\n`);
      const name = typeof args.values.study === 'string' ? args.values.study : undefined;
      const chosen = name ? snapshots.map((f) => ({ ...f, studies: f.studies.filter((s) => s.name === name) })).filter((f) => f.studies.length > 0) : snapshots;
      const count = chosen.reduce((n, f) => n + f.studies.length, 0);
      if (args.values.json) io.out(`${JSON.stringify(chosen, jsonSafe, 2)}\n`);
      else if (name) io.out(`${chosen.flatMap((f) => f.studies.map((s) => studySummaryText(s, f.path, 20_000, 10))).join('\n\n')}\n`);
      else if (count > 0) io.out(`${studiesText(chosen)}\n`);
      if (count === 0) {
        io.err(`ml-engineer studies: ${name ? `no study "${name}"` : 'no Optuna studies'} under ${path}\n`);
        return EXIT.failure;
      }
      return EXIT.ok;
    } finally {
      readers.dispose();
    }
  },
};
