import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { lastToolResults, startFakeMessagesApi, type FakeMessagesApi, type Script } from '../support/fakeMessagesApi';
import { startRegistryStandin, type RegistryStandin, type StandinModel } from '../support/mlflowRegistryStandin';
import { writeFileStoreRegistry, type FakeModel } from '../support/registryFixtures';
import { runAsk } from '../support/runAsk';
import { writeMlflowExperiment } from '../support/trackingFixtures';

// The registry tools without VS Code: `ml-engineer mcp` (the SDK's own client over stdio) and
// `ml-engineer ask` (the real CLI against the loopback Messages API), both on a folder holding an
// mlruns/ FileStore with a registry and MLflow-written MLmodel files, and a tracking server named
// by MLflow's own MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN (the REST stand-in: MLflow cannot
// be installed here). Promoting is a write: refused without --allow-write / --allow write,
// nothing written; allowed, the alias moves in the FileStore and on the server.

const repo = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, '..', 'fixtures', 'mlflow-models');
const hex = (c: string): string => c.repeat(32);
const TOKEN = 'mlflow-token-0123';
const FILE_MODELS: FakeModel[] = [{ name: 'assistant', aliases: { champion: 2 }, versions: [{ version: 2, runId: hex('b') }, { version: 3, runId: hex('c') }] }];
const serverModels = (): StandinModel[] => [
  { name: 'fraud', aliases: { champion: 1 }, updated: 1_721_450_912_221, versions: [1, 2].map((v) => ({ version: v, stage: v === 1 ? 'Production' : 'None', runId: `${'f'.repeat(31)}${v}`, updated: 1_721_450_907_221 + v })) },
];

function writeFolder(folder: string): string {
  const mlruns = join(folder, 'mlruns');
  writeMlflowExperiment(mlruns, '1', 'assist', [
    { id: hex('b'), name: 'champion-run', metrics: { accuracy: [0.7, 0.81] } },
    { id: hex('c'), name: 'challenger-run', metrics: { accuracy: [0.8, 0.88] } },
  ]);
  writeFileStoreRegistry(mlruns, FILE_MODELS);
  for (const [run, fixture] of [[hex('b'), 'pyfunc-2.7.1'], [hex('c'), 'langchain-2.12.2']] as const) {
    mkdirSync(join(mlruns, '1', run, 'artifacts', 'model'), { recursive: true });
    copyFileSync(join(FIXTURES, fixture, 'MLmodel'), join(mlruns, '1', run, 'artifacts', 'model', 'MLmodel'));
  }
  return mlruns;
}

const text = (result: CallToolResult): string => result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');

describe('Registry tools in the MCP server and the headless agent (folderToolset)', function () {
  this.timeout(180_000);
  let folder: string;
  let mlruns: string;
  let server: RegistryStandin;
  let env: Record<string, string>;
  const champion = (): string => readFileSync(join(mlruns, 'models', 'assistant', 'aliases', 'champion'), 'utf8');
  // The writes the server was sent (experiments/search, a read, is a POST too).
  const posts = (): string[] => server.seen.filter((s) => s.method === 'POST' && !s.path.endsWith('/search')).map((s) => `${s.path} ${JSON.stringify(s.body)}`);

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'mle-regfolder-'));
    mlruns = writeFolder(folder);
    server = await startRegistryStandin(serverModels(), { token: TOKEN });
    env = { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: TOKEN };
  });
  afterEach(async () => {
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function mcp(flags: string[]): Promise<{ client: Client; call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult> }> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'mcp', '--folder', folder, ...flags],
      cwd: repo,
      stderr: 'pipe',
      env: { ...(process.env as Record<string, string>), ...env },
    });
    const client = new Client({ name: 'ml-engineer-test', version: '0.0.0' });
    await client.connect(transport);
    return { client, call: async (name, args) => (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult };
  }

  it('MCP, read-only: lists both registries, previews, and refuses promote_model_version, writing nothing', async () => {
    const { client, call } = await mcp([]);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      for (const name of ['list_studies', 'study_summary', 'list_registered_models', 'model_versions', 'preview_promotion']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      assert.ok(!names.includes('promote_model_version'), 'a write tool is not served without --allow-write');

      const list = text(await call('list_registered_models', {}));
      assert.match(list, /assistant \[mlruns\]: 2 version\(s\), @champion=v2, latest v3/);
      assert.match(list, /fraud \[127\.0\.0\.1:\d+\]: 2 version\(s\), @champion=v1, latest v2/);
      const versions = text(await call('model_versions', { model: 'assistant' }));
      assert.match(versions, /v2 @champion READY: run champion-run \(b{32}\); accuracy=0\.81/);
      assert.match(text(await call('model_versions', { model: 'fraud' })), /v1 @champion \[Production\] READY/);

      const preview = await call('preview_promotion', { model: 'assistant', version: 3, alias: 'champion' });
      assert.equal(preview.isError, undefined, text(preview));
      assert.match(text(preview), /assistant @champion: v2 → v3/);
      assert.match(text(preview), /⚠ The inputs change/);
      assert.match(text(preview), /accuracy: 0\.8100 → 0\.8800 \(\+0\.07000\)/);
      assert.match(text(preview), new RegExp(`Store: ${mlruns.replace(/[/\\.]/g, '\\$&')}`));

      const refused = await call('promote_model_version', { model: 'fraud', version: 2, alias: 'champion' });
      assert.equal(refused.isError, true);
      assert.match(text(refused), /promote_model_version changes files: this server was started without --allow-write/);
      assert.equal(champion(), '2');
      assert.deepEqual(posts(), []);
      assert.ok(server.seen.length > 0 && server.seen.every((s) => s.path.startsWith('/api/2.0/mlflow/')), 'the server was read with the token');
    } finally {
      await client.close();
    }
  });

  it('MCP --allow-write: promote_model_version moves @champion in the FileStore and on the server', async () => {
    const { client, call } = await mcp(['--allow-write']);
    try {
      const local = await call('promote_model_version', { model: 'assistant', version: 3, alias: 'champion' });
      assert.equal(local.isError, undefined, text(local));
      assert.match(text(local), /^Done: promoted assistant v3 to @champion \(now on v2\): its inputs or outputs change in /);
      assert.equal(champion(), '3');

      const remote = await call('promote_model_version', { model: 'fraud', version: 2, alias: 'champion' });
      assert.equal(remote.isError, undefined, text(remote));
      assert.deepEqual(posts(), ['/api/2.0/mlflow/registered-models/alias {"name":"fraud","alias":"champion","version":"2"}']);
      assert.equal(server.models[0]!.aliases.champion, 2);
      // Read again: the next listing shows the move.
      assert.match(text(await call('list_registered_models', {})), /fraud \[127\.0\.0\.1:\d+\]: 2 version\(s\), @champion=v2/);

      const bad = await call('promote_model_version', { model: 'fraud', version: 2, alias: 'latest' });
      assert.equal(bad.isError, true);
      assert.match(text(bad), /'latest' alias name \(case insensitive\) is reserved/);
      assert.equal(posts().length, 1, 'a name MLflow refuses is refused before anything is sent');
    } finally {
      await client.close();
    }
  });

  describe('ml-engineer ask', () => {
    let api: FakeMessagesApi;
    before(async () => (api = await startFakeMessagesApi(() => ({ kind: 'message', blocks: [{ type: 'text', text: 'unused' }] }))));
    after(() => api.close());
    const promoteThenEcho: Script = (request) =>
      lastToolResults(request).length === 0
        ? { kind: 'message', blocks: [{ type: 'tool_use', name: 'promote_model_version', input: { model: 'assistant', version: 3, alias: 'champion' } }] }
        : { kind: 'message', blocks: [{ type: 'text', text: `Result: ${lastToolResults(request).map((r) => `${r.is_error ? 'ERROR ' : ''}${JSON.stringify(r.content)}`).join(' | ')}` }] };
    const ask = (flags: string[]) => runAsk(['promote v3', '--folder', folder, ...flags], repo, { ...env, ANTHROPIC_API_KEY: 'sk-ant-test-key-0123456789', ANTHROPIC_BASE_URL: api.baseURL });

    it('refuses the promotion with no terminal to ask; --allow write promotes, and the run says what moved', async () => {
      api.setScript(promoteThenEcho);
      const refused = await ask([]);
      assert.equal(refused.code, 0, refused.stderr);
      assert.match(refused.stderr, /refused promote_model_version: no terminal to ask \(--allow write allows it\)/);
      assert.match(refused.stdout, /Result: ERROR "The user declined this action/);
      assert.equal(champion(), '2');

      const allowed = await ask(['--allow', 'write', '--json']);
      assert.equal(allowed.code, 0, allowed.stderr);
      const report = JSON.parse(allowed.stdout) as { tool_calls: { name: string; status: string; summary?: string }[]; text: string };
      assert.deepEqual(report.tool_calls.map((c) => [c.name, c.status, c.summary]), [['promote_model_version', 'done', 'assistant v3 promoted']]);
      assert.match(report.text, /Done: promoted assistant v3 to @champion \(now on v2\)/);
      assert.equal(champion(), '3');
    });
  });
});
