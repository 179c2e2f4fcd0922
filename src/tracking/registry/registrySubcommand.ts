import { resolve } from 'node:path';
import { EXIT, type Subcommand } from '../../cli/subcommand';
import { StudyReaders } from '../../studies/studyReaders';
import { registryText, versionsText } from '../../studies/studyText';
import { RunCatalog } from '../runCatalog';
import { TrackingReaders } from '../workerSources';
import { MlflowServer } from '../mlflowServer';
import { serverAt } from './envServer';
import { pythonCandidates, resolvePython } from '../../python/pythonInterpreter';
import { planPromotion, type RegistryKind } from './promotionPlan';
import { writePromotionAt } from './promotionWrite';
import type { RegistrySnapshot } from './registryModel';
import { RegistryWriteError } from './registryPromote';
import { readRegistryRest } from './registryRest';

async function cliPython(flag: unknown, env: Readonly<Record<string, string | undefined>>, signal: AbortSignal): Promise<string> {
  const found = await resolvePython(pythonCandidates(typeof flag === 'string' ? flag : env.ML_ENGINEER_PYTHON, undefined), { signal });
  if (!found.found) throw new RegistryWriteError(`no Python 3 to write the mlflow.db with its sqlite3 (${found.attempts.map((a) => `${a.candidate.command}: ${a.problem}`).join('; ')}); give --python`);
  return found.interpreter.executable;
}

export const registrySubcommand: Subcommand = {
  name: 'registry',
  summary: 'list the MLflow Model Registry: registered models, versions, aliases and their runs',
  usage: [
    'Usage: ml-engineer registry [PATH|URL] [--json] [--model NAME]',
    '',
    'Lists the registered models of the MLflow stores under PATH (default: the current folder):',
    'an mlruns/ FileStore (mlruns/models/), an mlflow.db, or a folder holding them; or of the',
    'MLflow tracking server at URL (http[s]://…) over its REST API, with MLflow\'s own',
    'MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.',
    '',
    'Options:',
    '  --json            print the registries as JSON',
    '  --model NAME      the versions of one model: aliases, stage, status, source, its run\'s metrics',
    '  --promote N       with --model: move --alias A (MLflow 2.3+) or --stage S (None, Staging,',
    '                    Production, Archived; --archive-existing archives the others in it) to',
    '                    version N. Prints what changes against the version holding it now',
    '                    (inputs/outputs, size, the runs\' metrics) and writes only with --yes.',
    '  --store ROOT      with --promote: the registry (path or URL) when NAME is in several',
    '  --python PATH     with --promote on an mlflow.db: the Python whose sqlite3 writes it',
    '                    (default ML_ENGINEER_PYTHON, else python3)',
    '',
    'Exit code 1 when PATH holds no registered model, and for --promote without --yes (nothing written).',
    '',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    model: { type: 'string' },
    promote: { type: 'string' },
    alias: { type: 'string' },
    stage: { type: 'string' },
    'archive-existing': { type: 'boolean' },
    store: { type: 'string' },
    yes: { type: 'boolean' },
    python: { type: 'string' },
  },
  async run(args, io, signal) {
    const url = /^https?:\/\//.test(args.positionals[0] ?? '') ? args.positionals[0] : undefined;
    const path = url ?? resolve(io.cwd, args.positionals[0] ?? '.');
    const tracking = new TrackingReaders();
    const readers = new StudyReaders();
    const catalog = new RunCatalog();
    try {
      const server = url ? serverAt(url, io.env) : undefined;
      const sources = server ? [server] : (await tracking.sourcesForPath(path, { timeoutMs: 10_000 })).filter((s) => s.kind === 'mlflow' || s.kind === 'mlflow-sqlite');
      catalog.setSources(sources);
      await catalog.loadAll(signal);
      const registries: RegistrySnapshot[] = [];
      for (const s of sources) registries.push(s instanceof MlflowServer ? await readRegistryRest(s, signal) : await readers.registry(s.root, s.kind as 'mlflow' | 'mlflow-sqlite'));
      for (const r of registries) for (const p of r.problems) io.err(`ml-engineer registry: ${r.store}: ${p}\n`);
      const name = typeof args.values.model === 'string' ? args.values.model : undefined;
      if (typeof args.values.promote === 'string') {
        if (!name) throw new RegistryWriteError('--promote needs --model NAME');
        if (!/^\d+$/.test(args.values.promote)) throw new RegistryWriteError(`--promote takes a version number, not "${args.values.promote}"`);
        const v = args.values;
        const located = registries.map((registry, i) => ({ registry, location: { kind: sources[i]!.kind as RegistryKind, root: sources[i]!.root } }));
        const plan = planPromotion(located, { model: name, version: Number(v.promote), ...(typeof v.alias === 'string' ? { alias: v.alias } : {}), ...(typeof v.stage === 'string' ? { stage: v.stage } : {}), archiveExisting: v['archive-existing'] === true, ...(typeof v.store === 'string' ? { store: v.store } : {}) }, catalog.runs());
        io.out(`${plan.summary}\nStore: ${plan.located.location.root}\n`);
        if (v.yes !== true) {
          io.err('ml-engineer registry: nothing written: run it again with --yes to write it.\n');
          return EXIT.failure;
        }
        await writePromotionAt(plan.located.location, plan.model.name, plan.version.version, plan.promotion, { python: () => cliPython(v.python, io.env, signal), server: () => server }, signal);
        io.out(`Written: ${plan.headline.replace(/^Promote /, '')}.\n`);
        return EXIT.ok;
      }
      const models = registries.flatMap((r) => r.models.filter((m) => !name || m.name === name));
      if (args.values.json) io.out(`${JSON.stringify(name ? models : registries, null, 2)}\n`);
      else if (name) io.out(`${models.map((m) => versionsText(m, (id) => catalog.runs().find((r) => r.runId === id))).join('\n\n')}\n`);
      else if (models.length) io.out(`${registryText(registries)}\n`);
      if (models.length === 0) {
        io.err(`ml-engineer registry: ${name ? `no registered model "${name}"` : 'no registered models'} under ${path}\n`);
        return EXIT.failure;
      }
      return EXIT.ok;
    } catch (error) {
      io.err(`ml-engineer registry: ${path}: ${(error as Error).message}\n`);
      return EXIT.failure;
    } finally {
      catalog.dispose();
      tracking.dispose();
      readers.dispose();
    }
  },
};
