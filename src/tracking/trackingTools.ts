import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../agent/tools/tool';
import type { RunCatalog } from './runCatalog';
import { summarize, type RunRecord } from './runModel';
import { compareRuns, downsample, filterRuns, formatMetric, sortRuns } from './runQuery';
import { parseRunQuery, queryNotes, rangeMetrics, RunQueryError, type RunQuery } from './runFilter';
import { comparisonText, runLine, shownMetrics } from './runText';

// The agent's view of experiment runs: list (filter, sort by a metric), one metric's history
// (downsampled so a 100k-step curve fits the context), and a comparison of runs.

const STATUSES = ['running', 'scheduled', 'finished', 'failed', 'killed', 'unknown'] as const;
const MAX_LIST = 50;

/** Brings the catalog up to date: at most every few seconds, or now when `force` (a run is asked for that it lacks). */
export type RefreshRuns = (force?: boolean) => Promise<void>;

export function trackingTools(catalog: RunCatalog, refresh: RefreshRuns) {
  // A run the agent's own script logged a moment ago is newer than the catalog (#20: compare_runs
  // right after training said "No run"): read the sources again once before saying it is not there.
  const resolve = async (ref: string): Promise<RunRecord> => {
    await refresh();
    let run = catalog.resolveRun(ref);
    if (!run) {
      await refresh(true);
      run = catalog.resolveRun(ref);
    }
    if (!run) throw new ToolInputError(`No run "${ref}". Call list_runs to see run ids and names.`);
    return run;
  };
  return [
    defineTool({
      name: 'list_runs',
      description:
        'Experiment runs in this workspace and configured tracking servers (MLflow, TensorBoard, Lightning CSV, W&B): name, status, duration, id and last metric values. ' +
        'Filter: words (in names, params, tags) and comparisons on metrics (last value; min(m)/max(m) for the best/worst reached) and params, all of which must hold, e.g. ' +
        '"val_loss<0.4 lr>=1e-3 model=mlp", "min(val_loss)<=0.3", "val_loss=nan" (diverged), "status:failed,killed"; numbers compare as numbers, other text case-insensitively. ' +
        'Sort by a metric (best first: ascending for losses/errors, descending otherwise). ' +
        'Use it before answering questions about training results, to find the best run, or to see what is still running.',
      input: z.object({
        filter: z.optional(z.string()),
        status: z.optional(z.array(z.enum(STATUSES))),
        sort_by_metric: z.optional(z.string()),
        order: z.optional(z.enum(['asc', 'desc'])),
        limit: z.optional(z.number().check(z.minimum(1), z.maximum(200))),
      }),
      risk: 'read',
      async run(input, _context, signal) {
        let query: RunQuery | undefined;
        try {
          query = input.filter ? parseRunQuery(input.filter) : undefined;
        } catch (error) {
          if (error instanceof RunQueryError) throw new ToolInputError(`filter "${input.filter}": ${error.message}`);
          throw error;
        }
        await refresh();
        const all = catalog.runs();
        const metric = catalog.metricSummary.bind(catalog);
        if (query && rangeMetrics(query).length > 0) await catalog.completeSummaries(all, rangeMetrics(query), signal);
        const runs = sortRuns(filterRuns(all, { ...(query ? { query } : {}), statuses: input.status, metric }), input.sort_by_metric, input.order);
        const limit = input.limit ?? MAX_LIST;
        const metrics = shownMetrics(runs, 4, input.sort_by_metric);
        const problems = catalog.sources().flatMap((e) => e.snapshot.problems.map((p) => `${e.source.label}: ${p}`));
        if (runs.length === 0) {
          const notes = query ? queryNotes(all, query, metric) : [];
          const why = all.length === 0 ? 'No runs found: no mlruns/, mlflow.db, TensorBoard event files, lightning_logs/ or wandb/ runs in the workspace.' : `None of the ${all.length} runs match${notes.length ? ` (${notes.join('; ')})` : ''}.`;
          return { content: why + (problems.length ? `\nProblems: ${problems.join('; ')}` : ''), summary: 'No runs' };
        }
        const lines = runs.slice(0, limit).map((r) => runLine(r, metrics));
        const more = runs.length > limit ? `\n… ${runs.length - limit} more (narrow with filter or raise limit).` : '';
        const keys = [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)))];
        return {
          content: `${runs.length} run(s)${input.sort_by_metric ? `, sorted by ${input.sort_by_metric}` : ''}:\n${lines.join('\n')}${more}\nMetric keys: ${keys.slice(0, 60).join(', ')}${problems.length ? `\nProblems: ${problems.join('; ')}` : ''}`,
          summary: `${runs.length} run(s)`,
        };
      },
    }),
    defineTool({
      name: 'metric_history',
      description:
        'The history of one metric of one run (step, value, time), downsampled to at most max_points while keeping each stretch\'s minimum and maximum (spikes and NaNs survive). ' +
        'Use it to see where a loss diverged, plateaued or started overfitting. `run` is an id or name from list_runs.',
      input: z.object({ run: z.string(), metric: z.string(), max_points: z.optional(z.number().check(z.minimum(10), z.maximum(1000))) }),
      risk: 'read',
      async run(input, _context, signal) {
        const run = await resolve(input.run);
        if (!run.metrics.some((m) => m.key === input.metric)) throw new ToolInputError(`Run ${run.name} has no metric "${input.metric}". It has: ${run.metrics.map((m) => m.key).join(', ') || 'none'}.`);
        const points = await catalog.history(run, input.metric, signal);
        const summary = summarize(input.metric, points);
        const shown = downsample(points, input.max_points ?? 200);
        const nanAt = points.find((p) => Number.isNaN(p.value));
        const t0 = points[0]?.time;
        const header =
          `${run.name} ${input.metric}: ${points.length} points, steps ${points[0]?.step ?? '–'}..${points.at(-1)?.step ?? '–'}` +
          (summary ? `, last ${formatMetric(summary.last)}, min ${formatMetric(summary.min)}, max ${formatMetric(summary.max)}` : '') +
          (nanAt ? `, first NaN at step ${nanAt.step}` : '') +
          (shown.length < points.length ? ` (showing ${shown.length}: bucket min/max)` : '');
        const rows = shown.map((p) => `${p.step}\t${formatMetric(p.value)}${p.time !== undefined && t0 !== undefined ? `\t+${Math.round((p.time - t0) / 1000)}s` : ''}`);
        return { content: `${header}\nstep\tvalue${t0 !== undefined ? '\ttime' : ''}\n${rows.join('\n')}`, summary: `${input.metric} of ${run.name}: ${points.length} points` };
      },
    }),
    defineTool({
      name: 'compare_runs',
      description:
        'Compares 2–10 runs: the params that differ (and those that are the same), and each metric\'s last value with min/max, the best marked. ' +
        'Use it for "what changed against the best run", "why did run B do worse than A", and to pick a model between a baseline and its challengers. `runs` are ids or names from list_runs or that a training script printed.',
      input: z.object({ runs: z.array(z.string()).check(z.minLength(2), z.maxLength(10)) }),
      risk: 'read',
      async run(input, _context, signal) {
        const runs: RunRecord[] = [];
        for (const ref of input.runs) runs.push(await resolve(ref));
        // Full min/max need each metric's history where the listing had only the last value (MLflow files).
        const completed = await Promise.all(
          runs.map(async (run) => {
            if (run.metrics.every((m) => m.min !== undefined)) return run;
            const metrics = await Promise.all(run.metrics.slice(0, 30).map(async (m) => summarize(m.key, await catalog.history(run, m.key, signal).catch(() => [])) ?? m));
            return { ...run, metrics };
          }),
        );
        return { content: comparisonText(compareRuns(completed)), summary: `Compared ${runs.length} runs` };
      },
    }),
  ];
}
