import { COMMANDS, COMMANDS_BY_OWNER, VIEWS, type CommandId } from '../commandIds';

// Which feature owns what package.json contributes. Activation registers a stand-in for each
// (src/activation/features.ts); the feature's bundle, dist/features/<name>.js, is loaded the first
// time one is used. test/unit/featureTable.test.ts checks every contributed command against it.

export const FEATURE_NAMES = ['kernels', 'gpu', 'tracking', 'models', 'chat', 'doctor', 'data', 'serving', 'modelCard', 'jobs'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The commands each feature registers when it loads (their names: COMMANDS_BY_OWNER in commandIds.ts). */
export const FEATURE_COMMANDS = Object.fromEntries(FEATURE_NAMES.map((name) => [name, COMMANDS_BY_OWNER[name].map((n) => COMMANDS[n])])) as unknown as { readonly [N in FeatureName]: readonly CommandId[] };

/** Commands the activation layer itself handles: they need no feature. */
export const ACTIVATION_COMMANDS: readonly CommandId[] = COMMANDS_BY_OWNER.activation.map((n) => COMMANDS[n]);

/** Tree views, created at activation and drawn by their feature once it loads. */
export const TREE_VIEWS = [
  { id: VIEWS.kernels, feature: 'kernels', options: { showCollapseAll: true } },
  { id: VIEWS.experiments, feature: 'tracking', options: { showCollapseAll: true, canSelectMany: true } },
  { id: VIEWS.gpus, feature: 'gpu', options: {} },
  { id: VIEWS.jobs, feature: 'jobs', options: { showCollapseAll: true } },
  { id: VIEWS.deployments, feature: 'serving', options: {} },
] as const satisfies readonly { id: string; feature: FeatureName; options: { showCollapseAll?: boolean; canSelectMany?: boolean } }[];

export type TreeViewId = (typeof TREE_VIEWS)[number]['id'];

/** The notebooks our kernels serve: one open (or opening) loads the kernels feature. */
export const JUPYTER_NOTEBOOK_TYPE = 'jupyter-notebook';

/** The owner of a command: a feature, or the activation layer itself. */
export function commandOwner(id: string): FeatureName | 'activation' | undefined {
  if ((ACTIVATION_COMMANDS as readonly string[]).includes(id)) return 'activation';
  return FEATURE_NAMES.find((name) => (FEATURE_COMMANDS[name] as readonly string[]).includes(id));
}
