import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../agent/tools/tool';
import type { RegistrySnapshot } from '../tracking/registry/registryModel';
import type { RunRecord } from '../tracking/runModel';
import type { StudyFileSnapshot } from './studyModel';
import { registryText, studiesText, studySummaryText, versionsText } from './studyText';

// The agent's tools over Optuna studies and the MLflow model registry. Read-only; the caller
// says where the studies and registries come from (the extension's catalogs, or files read by
// the CLI / MCP server), so the same tools serve every surface.

export interface StudiesAccess {
  studies(signal?: AbortSignal): Promise<readonly StudyFileSnapshot[]>;
  registries(signal?: AbortSignal): Promise<readonly RegistrySnapshot[]>;
  /** Runs known to the caller, to give each model version its run's metrics. */
  runs(): readonly RunRecord[];
}

export function studyTools(access: StudiesAccess) {
  return [
    defineTool({
      name: 'list_studies',
      description:
        'Optuna hyperparameter studies in this workspace (RDB storage in SQLite files and JournalFileStorage logs): name, file, trials by state (complete, running, pruned, failed), direction(s) and best value or Pareto front size. ' +
        'Use it before answering questions about hyperparameter tuning.',
      input: z.object({}),
      risk: 'read',
      async run(_input, _context, signal) {
        const files = await access.studies(signal);
        const n = files.reduce((s, f) => s + f.studies.length, 0);
        return { content: studiesText(files), summary: `${n} stud${n === 1 ? 'y' : 'ies'}` };
      },
    }),
    defineTool({
      name: 'study_summary',
      description:
        'One Optuna study in detail: search space, best trials (or the Pareto-optimal ones), parameter importances, the range of each parameter among the best trials, running and failed trials. ' +
        '`study` is a name from list_studies. Use it to suggest a narrower search space or the next trials.',
      input: z.object({ study: z.string(), top: z.optional(z.number().check(z.minimum(1), z.maximum(20))), max_chars: z.optional(z.number().check(z.minimum(500), z.maximum(20000))) }),
      risk: 'read',
      async run(input, _context, signal) {
        const files = await access.studies(signal);
        const matches = files.flatMap((f) => f.studies.filter((s) => s.name === input.study || s.key === input.study).map((s) => ({ s, f })));
        if (matches.length === 0) throw new ToolInputError(`No study "${input.study}". Studies: ${files.flatMap((f) => f.studies.map((s) => s.name)).join(', ') || 'none'}.`);
        const text = matches.map(({ s, f }) => studySummaryText(s, f.path, input.max_chars ?? 4000, input.top ?? 5)).join('\n\n');
        return { content: text, summary: `Study ${input.study}` };
      },
    }),
    defineTool({
      name: 'list_registered_models',
      description: 'Registered models in the MLflow Model Registry of this workspace (FileStore mlruns/models/, mlflow.db, and the tracking servers in settings): versions, aliases (@champion) and the latest version.',
      input: z.object({}),
      risk: 'read',
      async run(_input, _context, signal) {
        const registries = await access.registries(signal);
        const n = registries.reduce((s, r) => s + r.models.length, 0);
        return { content: registryText(registries), summary: `${n} registered model(s)` };
      },
    }),
    defineTool({
      name: 'model_versions',
      description: 'The versions of one registered model: aliases, stage, status, source, and the run that produced each with its key metrics (a version whose run was deleted is marked). `model` is a name from list_registered_models.',
      input: z.object({ model: z.string() }),
      risk: 'read',
      async run(input, _context, signal) {
        const registries = await access.registries(signal);
        const models = registries.flatMap((r) => r.models.filter((m) => m.name === input.model));
        if (models.length === 0) throw new ToolInputError(`No registered model "${input.model}". Models: ${registries.flatMap((r) => r.models.map((m) => m.name)).join(', ') || 'none'}.`);
        const runs = access.runs();
        const runOf = (id: string): RunRecord | undefined => runs.find((r) => r.runId === id);
        return { content: models.map((m) => versionsText(m, runOf)).join('\n\n'), summary: `${input.model}: ${models[0]!.versions.length} version(s)` };
      },
    }),
  ];
}
