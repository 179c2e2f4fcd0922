import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FeatureModule } from '../../src/activation/featureHost';
import { ACTIVATION_COMMANDS, commandOwner, FEATURE_COMMANDS, FEATURE_NAMES, TREE_VIEWS } from '../../src/activation/featureTable';
import type * as ChatFeature from '../../src/chat/vscode/chatFeature';
import type * as DataFeature from '../../src/data/vscode/dataFeature';
import type * as DoctorFeature from '../../src/doctor/vscode/doctorFeature';
import type * as GpuFeature from '../../src/gpu/vscode/gpuFeature';
import type * as JobsFeature from '../../src/jobs/vscode/jobsFeature';
import type * as KernelsFeature from '../../src/kernels/vscode/kernelsFeature';
import type * as ModelsFeature from '../../src/models/vscode/modelsFeature';
import type * as ServingFeature from '../../src/serving/vscode/servingFeature';
import type * as ModelCardFeature from '../../src/modelCard/vscode/modelCardFeature';
import type * as TrackingFeature from '../../src/tracking/vscode/trackingFeature';

// Checked by the compiler (npm run typecheck): each bundle's entry gives what its name promises.
const entries: { [N in (typeof FEATURE_NAMES)[number]]: FeatureModule<N> } = {} as {
  kernels: typeof KernelsFeature;
  gpu: typeof GpuFeature;
  tracking: typeof TrackingFeature;
  models: typeof ModelsFeature;
  chat: typeof ChatFeature;
  doctor: typeof DoctorFeature;
  data: typeof DataFeature;
  serving: typeof ServingFeature;
  modelCard: typeof ModelCardFeature;
  jobs: typeof JobsFeature;
};
void entries;

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string }[]; views: Record<string, { id: string; type?: string }[]> };
};

/** Activation registers a stand-in for each contribution and loads its feature on first use (src/activation/). */
describe('activation: which feature owns what package.json contributes', () => {
  it('every contributed command is owned by exactly one feature (or by activation itself)', () => {
    for (const { command } of manifest.contributes.commands) {
      const owners = [...FEATURE_NAMES.filter((name) => (FEATURE_COMMANDS[name] as readonly string[]).includes(command)), ...(ACTIVATION_COMMANDS.includes(command as never) ? ['activation'] : [])];
      assert.equal(owners.length, 1, `${command} is owned by ${owners.length === 0 ? 'no feature' : owners.join(' and ')}`);
      assert.equal(commandOwner(command), owners[0]);
    }
  });

  it('owns no command that package.json does not contribute', () => {
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    const owned = [...ACTIVATION_COMMANDS, ...FEATURE_NAMES.flatMap((name) => FEATURE_COMMANDS[name])];
    assert.deepEqual(owned.filter((id) => !contributed.has(id)), []);
    assert.equal(new Set(owned).size, owned.length, 'a command listed twice');
  });

  it('makes every contributed tree view at activation, once', () => {
    const trees = Object.values(manifest.contributes.views).flat().filter((v) => v.type !== 'webview').map((v) => v.id).sort();
    assert.deepEqual(TREE_VIEWS.map((t) => t.id).sort(), trees);
  });

  it('builds one bundle per feature from an entry that exists', async () => {
    const { FEATURES } = (await import(pathToFileURL(join(root, 'scripts/build.mjs')).href)) as { FEATURES: Record<string, string> };
    const built = Object.entries(FEATURES);
    assert.deepEqual(built.map(([name]) => name).sort(), [...FEATURE_NAMES].sort());
    for (const [name, entry] of built) {
      assert.ok(existsSync(join(root, entry)), `${name}: ${entry}`);
      assert.match(readFileSync(join(root, entry), 'utf8'), /export (function|const) activateFeature\b/, `${entry} exports activateFeature`);
    }
  });
});
