import { resolve } from 'node:path';
import { EXIT, type Subcommand } from '../../cli/subcommand';
import { StudyReaders } from '../../studies/studyReaders';
import { registryText, versionsText } from '../../studies/studyText';
import { RunCatalog } from '../runCatalog';
import { TrackingReaders } from '../workerSources';
import { MlflowServer } from '../mlflowServer';
import type { RegistrySnapshot } from './registryModel';
import { readRegistryRest } from './registryRest';

/** MLflow's own client variables: a bearer token, or basic-auth user and password. */
function serverToken(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return env.MLFLOW_TRACKING_TOKEN;
  return env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD ? `${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}` : undefined;
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
    '',
    'Exit code 1 when PATH holds no registered model.',
    '',
  ].join('\n'),
  options: { json: { type: 'boolean' }, model: { type: 'string' } },
  async run(args, io, signal) {
    const url = /^https?:\/\//.test(args.positionals[0] ?? '') ? args.positionals[0] : undefined;
    const path = url ?? resolve(io.cwd, args.positionals[0] ?? '.');
    const tracking = new TrackingReaders();
    const readers = new StudyReaders();
    const catalog = new RunCatalog();
    try {
      const server = url ? new MlflowServer(url, () => Promise.resolve(serverToken(io.env))) : undefined;
      const sources = server ? [server] : (await tracking.sourcesForPath(path, { timeoutMs: 10_000 })).filter((s) => s.kind === 'mlflow' || s.kind === 'mlflow-sqlite');
      catalog.setSources(sources);
      await catalog.loadAll(signal);
      const registries: RegistrySnapshot[] = [];
      for (const s of sources) registries.push(s instanceof MlflowServer ? await readRegistryRest(s, signal) : await readers.registry(s.root, s.kind as 'mlflow' | 'mlflow-sqlite'));
      for (const r of registries) for (const p of r.problems) io.err(`ml-engineer registry: ${r.store}: ${p}\n`);
      const name = typeof args.values.model === 'string' ? args.values.model : undefined;
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
