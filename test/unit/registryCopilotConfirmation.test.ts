import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolContext } from '../../src/agent/tools/tool';
import { prepareToolInvocation } from '../../src/lmtools/lmToolCatalog';
import { LM_TOOLS, lmToolName } from '../../src/lmtools/lmToolNames';
import { readRegistryFileStore } from '../../src/tracking/registry/registryFileStore';
import { registryPromoteTools } from '../../src/tracking/registry/registryTools';
import { writeFileStoreRegistry } from '../support/registryFixtures';

// What Copilot's agent mode asks before promote_model_version (mlEngineer_promote_model_version):
// the confirmation names what moves, from which version, to which alias or stage, read from the
// registry as it is now; as our chat's card does (test/integration/registryTools.test.ts).

describe('Copilot confirmation for promote_model_version', () => {
  let mlruns: string;
  beforeEach(() => {
    mlruns = join(mkdtempSync(join(tmpdir(), 'mle-regconfirm-')), 'mlruns');
    writeFileStoreRegistry(mlruns, [
      { name: 'assistant', aliases: { champion: 2 }, versions: [{ version: 2 }, { version: 3 }] },
      { name: 'fraud', versions: [{ version: 1, stage: 'Production' }, { version: 2, stage: 'Staging' }] },
    ]);
  });
  afterEach(() => rmSync(join(mlruns, '..'), { recursive: true, force: true }));

  const promote = () =>
    registryPromoteTools({
      registries: () => Promise.resolve([{ registry: readRegistryFileStore(mlruns), location: { kind: 'mlflow', root: mlruns } }]),
      runs: () => [],
      promote: () => Promise.reject(new Error('nothing is written here')),
    }).find((t) => t.name === 'promote_model_version')!;
  const context = {} as ToolContext;

  it('says which version holds the alias or stage now and which takes it', async () => {
    const alias = await prepareToolInvocation(promote(), { model: 'assistant', version: 3, alias: 'champion' }, context);
    assert.equal(alias.invocationMessage, 'ML Engineer: Promote assistant v3 to @champion (now on v2)');
    assert.equal(alias.confirmation?.title, 'ML Engineer: promote model version');
    assert.match(alias.confirmation.message, /^\*\*Promote assistant v3 to @champion \(now on v2\)\*\*\n\nThis changes the model registry: whoever loads the model by that alias or stage gets this version\.$/);

    const fresh = await prepareToolInvocation(promote(), { model: 'assistant', version: 3, alias: 'challenger' }, context);
    assert.match(fresh.confirmation!.message, /^\*\*Promote assistant v3 to @challenger \(a new alias\)\*\*/);

    const stage = await prepareToolInvocation(promote(), { model: 'fraud', version: 2, stage: 'production', archive_existing: true }, context);
    assert.match(stage.confirmation!.message, /^\*\*Promote fraud v2 to stage Production, archiving the others \(now on v1\)\*\*/);
  });

  it('is contributed to Copilot as a write tool of the tracking feature (which gives the registry tools)', () => {
    assert.deepEqual(LM_TOOLS.find((t) => t.name === 'promote_model_version'), { name: 'promote_model_version', feature: 'tracking' });
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { languageModelTools: { name: string; tags: string[] }[] } };
    const entry = manifest.contributes.languageModelTools.find((t) => t.name === lmToolName('promote_model_version'));
    assert.ok(entry?.tags.includes('write'), JSON.stringify(entry));
  });

  it('a promotion MLflow would refuse still gets a confirmation (the run reports the error)', async () => {
    const bad = await prepareToolInvocation(promote(), { model: 'assistant', version: 9, alias: 'champion' }, context);
    assert.match(bad.confirmation!.message, /^\*\*Promote assistant v9 to @champion\*\*/);
  });

  it('writes nothing when another version took the alias between the confirmation and the run', async () => {
    const tool = promote();
    const input = { model: 'assistant', version: 3, alias: 'champion' };
    await prepareToolInvocation(tool, input, context);
    writeFileStoreRegistry(mlruns, [{ name: 'assistant', aliases: { champion: 1 }, versions: [{ version: 1 }, { version: 2 }, { version: 3 }] }]);
    await assert.rejects(tool.run(tool.input.parse(input), context, new AbortController().signal), /^ToolInputError: Nothing written: the registry changed after the user approved \(v2 held it then, v1 now\)/);
  });
});
