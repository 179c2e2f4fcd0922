import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import type { RunRecord } from '../runModel';
import { planPromotion, type LocatedRegistry, type PromotionPlan, type PromotionRequest, type RegistryLocation } from './promotionPlan';
import { RegistryWriteError, type Promotion } from './registryPromote';
import { AliasesUnsupportedError } from './registryRest';

// The agent's side of Promote…: preview_promotion (read) gives the comparison the modal shows;
// promote_model_version (write) moves an alias or a stage only after the user approves the card,
// which names the version, the alias or stage, the version holding it now and whether the
// signature changes. Allow-for-this-chat covers only the same promotion over the same holder.

export interface PromoteAccess {
  /** The registries as they are now (read again for every call). */
  registries(signal?: AbortSignal): Promise<readonly LocatedRegistry[]>;
  runs(): readonly RunRecord[];
  /** Writes the promotion to the registry at `location` (refused in Restricted Mode by the caller). */
  promote(location: RegistryLocation, name: string, version: number, promotion: Promotion, signal?: AbortSignal): Promise<void>;
}

const promotionInput = z.object({
  model: z.string(),
  version: z.number().check(z.int(), z.minimum(1)),
  alias: z.optional(z.string()),
  stage: z.optional(z.string()),
  archive_existing: z.optional(z.boolean()),
  store: z.optional(z.string()),
});
type PromotionInput = z.infer<typeof promotionInput>;

const requestOf = (input: PromotionInput): PromotionRequest => ({
  model: input.model,
  version: input.version,
  ...(input.alias !== undefined ? { alias: input.alias } : {}),
  ...(input.stage !== undefined ? { stage: input.stage } : {}),
  ...(input.archive_existing !== undefined ? { archiveExisting: input.archive_existing } : {}),
  ...(input.store !== undefined ? { store: input.store } : {}),
});

export function registryPromoteTools(access: PromoteAccess) {
  const plan = async (input: PromotionInput, signal?: AbortSignal): Promise<PromotionPlan> => {
    try {
      return planPromotion(await access.registries(signal), requestOf(input), access.runs());
    } catch (error) {
      if (error instanceof RegistryWriteError) throw new ToolInputError(error.message);
      throw error;
    }
  };
  // The approval card's line, worked out (async) by approvalScope just before the card is drawn,
  // and the version that held the alias or stage then: run refuses if another holds it by now.
  const headlines = new Map<string, string>();
  const approvedHolders = new Map<string, number | 'none'>();
  return [
    defineTool({
      name: 'preview_promotion',
      description:
        'What promoting a model version would change, without changing anything: the version holding the alias (or stage) now, the two models\' inputs and outputs from their MLmodel signatures (a change is flagged), their size, whether latency can be measured (both ONNX), and the runs\' key metrics side by side. ' +
        'Give `alias` (MLflow 2.3+, e.g. "champion") or `stage` (None, Staging, Production, Archived; older registries). Show it to the user before promote_model_version.',
      input: promotionInput,
      risk: 'read',
      async run(input, _context, signal) {
        const p = await plan(input, signal);
        return { content: `${p.summary}\n\nStore: ${p.located.location.root}`, summary: p.headline };
      },
    }),
    defineTool({
      name: 'promote_model_version',
      description:
        'Moves an alias (MLflow 2.3+: set_registered_model_alias) or, on older registries, a stage (transition_model_version_stage, optionally archiving the other versions in it) to a model version, in the registry the version lives in: an mlruns/ FileStore, an mlflow.db, or a tracking server. ' +
        'The user sees what changes and approves it first. Call preview_promotion before, and say what it found. `store` is needed only when the model name is in more than one registry.',
      input: promotionInput,
      risk: 'write',
      changes: 'changes the model registry: whoever loads the model by that alias or stage gets this version',
      confirmation: (input) => headlines.get(JSON.stringify(input)) ?? `Promote ${input.model} v${input.version} to ${input.alias !== undefined ? `@${input.alias}` : `stage ${input.stage ?? '?'}`}`,
      async approvalScope(input) {
        const p = await plan(input);
        headlines.clear();
        approvedHolders.clear();
        headlines.set(JSON.stringify(input), p.headline);
        approvedHolders.set(JSON.stringify(input), p.holder?.version ?? 'none');
        return `${p.located.location.root}\n${JSON.stringify(input)}\nholder ${p.holder?.version ?? 'none'}`;
      },
      async run(input, _context, signal) {
        const p = await plan(input, signal);
        const approved = approvedHolders.get(JSON.stringify(input));
        approvedHolders.delete(JSON.stringify(input));
        const holder = p.holder?.version ?? 'none';
        if (approved !== undefined && approved !== holder) {
          const said = (h: number | 'none'): string => (h === 'none' ? 'no version' : `v${h}`);
          throw new ToolInputError(`Nothing written: the registry changed after the user approved (${said(approved)} held it then, ${said(holder)} now). Show the new state with preview_promotion and ask again.`);
        }
        try {
          await access.promote(p.located.location, p.model.name, p.version.version, p.promotion, signal);
        } catch (error) {
          if (error instanceof AliasesUnsupportedError) throw new ToolInputError(`${p.located.location.root} has no alias endpoints (an MLflow server before 2.3): nothing written. Move a stage instead (stage: Staging or Production), or the user can keep the alias as a tag with Promote… in the Experiments view.`);
          if (error instanceof RegistryWriteError) throw new ToolInputError(error.message);
          throw error;
        }
        return { content: `Done: ${p.headline.replace(/^Promote/, 'promoted')} in ${p.located.location.root}.\n\n${p.summary.replace(/This writes .*$/, '')}`.trim(), summary: `${p.model.name} v${p.version.version} promoted` };
      },
    }),
  ];
}
