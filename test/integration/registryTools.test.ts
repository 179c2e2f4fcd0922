import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalRequest } from '../../src/agent/agentSession';
import { readRegistryFileStore } from '../../src/tracking/registry/registryFileStore';
import { promoteInFileStore } from '../../src/tracking/registry/registryFileStoreWrite';
import { registryPromoteTools } from '../../src/tracking/registry/registryTools';
import type { LocatedRegistry } from '../../src/tracking/registry/promotionPlan';
import type { ScriptedReply } from '../support/fakeMessagesApi';
import { writeFileStoreRegistry, type FakeModel } from '../support/registryFixtures';
import { startHarness, type Harness } from './agentHarness';

// The agent's promote tools through the real agent loop (loopback Messages API, the real SDK):
// promote_model_version is a write tool, so nothing is written until the user approves the card,
// and the card names the version holding the alias now and a signature change. The registry is a
// FileStore laid out as MLflow lays it out, with MLflow-written MLmodel files in the versions.

const FIXTURES = join(__dirname, '..', 'fixtures', 'mlflow-models');
const hex = (c: string): string => c.repeat(32);
const MODELS: FakeModel[] = [{ name: 'assistant', aliases: { champion: 2 }, versions: [{ version: 2, runId: hex('b') }, { version: 3, runId: hex('c') }] }];

describe('promote_model_version asks first; preview_promotion changes nothing', function () {
  this.timeout(60_000);
  let dir: string;
  let mlruns: string;
  let h: Harness | undefined;
  const writes: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-regtool-'));
    mlruns = join(dir, 'mlruns');
    writeFileStoreRegistry(mlruns, MODELS);
    for (const [run, fixture] of [[hex('b'), 'pyfunc-2.7.1'], [hex('c'), 'langchain-2.12.2']] as const) {
      mkdirSync(join(mlruns, '1', run, 'artifacts', 'model'), { recursive: true });
      copyFileSync(join(FIXTURES, fixture, 'MLmodel'), join(mlruns, '1', run, 'artifacts', 'model', 'MLmodel'));
    }
    writes.length = 0;
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const tools = (stores: () => LocatedRegistry[]) =>
    registryPromoteTools({
      registries: () => Promise.resolve(stores()),
      runs: () => [],
      promote: (location, name, version, promotion) => {
        writes.push(`${location.root} ${name} v${version}`);
        promoteInFileStore(location.root, name, version, promotion);
        return Promise.resolve();
      },
    });
  const fileStore = (): LocatedRegistry[] => [{ registry: readRegistryFileStore(mlruns), location: { kind: 'mlflow', root: mlruns } }];
  const champion = (): string => readFileSync(join(mlruns, 'models', 'assistant', 'aliases', 'champion'), 'utf8');

  async function ask(calls: { name: string; input: unknown }[], answers: boolean[], stores = fileStore) {
    const asked: ApprovalRequest[] = [];
    const script = (_: unknown, i: number): ScriptedReply =>
      i < calls.length ? { kind: 'message', blocks: [{ type: 'tool_use', name: calls[i]!.name, input: calls[i]!.input }] } : { kind: 'message', blocks: [{ type: 'text', text: 'done' }] };
    h = await startHarness(script, { extraTools: tools(stores), approve: (r) => (asked.push(r), answers[asked.length - 1] ?? false) });
    await h.session.send('promote v3', new AbortController().signal);
    const results = h.events.filter((e) => e.type === 'toolStatus' && e.status !== 'running' && e.status !== 'awaiting-approval') as { status: string; summary?: string; output?: string }[];
    return { asked, results };
  }

  it('declined: nothing written; approved: @champion moves, and the card said what changes', async () => {
    const input = { model: 'assistant', version: 3, alias: 'champion' };
    const { asked, results } = await ask([{ name: 'promote_model_version', input }, { name: 'promote_model_version', input }], [false, true]);
    assert.equal(asked.length, 2);
    assert.equal(asked[0]!.confirmation, 'Promote assistant v3 to @champion (now on v2): its inputs or outputs change');
    assert.equal(results[0]!.status, 'denied');
    assert.deepEqual(writes.length, 1, 'the declined call wrote nothing');
    assert.equal(results[1]!.status, 'done');
    assert.equal(champion(), '3');
    assert.match(results[1]!.output ?? '', /^Done: promoted assistant v3 to @champion \(now on v2\)/);
    assert.match(results[1]!.output ?? '', /⚠ The inputs change/);
  });

  it('preview_promotion is read-only and shows the comparison', async () => {
    const { asked, results } = await ask([{ name: 'preview_promotion', input: { model: 'assistant', version: 3, alias: 'champion' } }], []);
    assert.equal(asked.length, 0, 'a read tool is not asked about');
    assert.equal(champion(), '2');
    assert.match(results[0]!.output ?? '', /Inputs: CHANGED\n {4}− test_model_input: double {2}\(v2\)\n {4}\+ messages: /);
    assert.match(results[0]!.output ?? '', /Store: .*mlruns$/);
  });

  it('a bad request is refused before the card: unknown version, a reserved alias, alias and stage both, two registries', async () => {
    const copy = join(dir, 'other', 'mlruns');
    writeFileStoreRegistry(copy, MODELS);
    const two = (): LocatedRegistry[] => [...fileStore(), { registry: readRegistryFileStore(copy), location: { kind: 'mlflow', root: copy } }];
    const { asked, results } = await ask(
      [
        { name: 'promote_model_version', input: { model: 'assistant', version: 9, alias: 'champion', store: mlruns } },
        { name: 'promote_model_version', input: { model: 'assistant', version: 3, alias: 'latest', store: mlruns } },
        { name: 'promote_model_version', input: { model: 'assistant', version: 3, alias: 'x', stage: 'Production', store: mlruns } },
        { name: 'promote_model_version', input: { model: 'assistant', version: 3, alias: 'champion' } },
      ],
      [true, true, true, true],
      two,
    );
    assert.equal(asked.length, 0);
    assert.deepEqual(writes, []);
    assert.match(results[0]!.summary ?? '', /assistant has no version 9\. Versions: 3, 2/);
    assert.match(results[1]!.summary ?? '', /'latest' alias name \(case insensitive\) is reserved/);
    assert.match(results[2]!.summary ?? '', /either an alias .* or a stage/);
    assert.match(results[3]!.summary ?? '', /"assistant" is in 2 registries: say which with store/);
    assert.equal(existsSync(join(copy, 'models', 'assistant', 'aliases', 'champion')), true);
    assert.equal(readFileSync(join(copy, 'models', 'assistant', 'aliases', 'champion'), 'utf8'), '2');
  });
});
