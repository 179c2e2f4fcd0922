import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceTools } from '../../src/agent/tools/builtinTools';
import { ToolRegistry } from '../../src/agent/tools/toolRegistry';
import { folderToolset } from '../../src/toolset/folderToolset';
import { TOOL_FEATURES } from '../../src/toolset/toolFeatures';

// The tool catalog free of the editor (src/toolset/): the same tools, in the same order, as the
// chat assembles (src/chat/vscode/chatFeature.ts: the workspace tools, then TOOL_FEATURES' tools).

describe('folderToolset: every feature\'s agent tools for a folder', () => {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'mle-toolset-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('lists the chat\'s tools in the chat\'s order, each registrable (names unique, snake_case)', async () => {
    const toolset = folderToolset({ folder });
    try {
      const names = toolset.tools.map((t) => t.name);
      assert.deepEqual(names.slice(0, workspaceTools().length), workspaceTools().map((t) => t.name));
      assert.deepEqual(names.slice(workspaceTools().length), [
        'gpu_status',
        'run_in_kernel', 'wait_for_execution', 'interrupt_kernel', 'restart_kernel', 'kernel_variables', 'kernel_state',
        'list_runs', 'metric_history', 'compare_runs',
        'list_studies', 'study_summary', 'list_registered_models', 'model_versions', 'preview_promotion', 'promote_model_version',
        'inspect_model', 'query_model_graph', 'scaffold_deployment', 'optimize_model', 'benchmark_model', 'export_model',
        'describe_dataset', 'query_dataset',
        'serve_locally', 'send_requests', 'load_test', 'stop_server', 'detect_drift', 'compare_models', 'compare_models_on_data', 'write_model_card',
        'cluster_info', 'job_status', 'job_logs', 'submit_job', 'cancel_job', 'start_kernel_job', 'kernel_jobs', 'stop_kernel_job',
      ]);
      const registry = new ToolRegistry();
      for (const tool of toolset.tools) registry.register(tool);
      assert.equal(ToolRegistry.toApi(toolset.tools).length, names.length);
    } finally {
      await toolset.dispose();
    }
  });

  it('the chat takes its feature tools in TOOL_FEATURES order', () => {
    // The chat's and @ml's list (featureTools.ts) comes from the one constant the toolset uses, not its own copy.
    const chat = readFileSync(join(__dirname, '../../src/chat/vscode/featureTools.ts'), 'utf8');
    assert.match(chat, /TOOL_FEATURES\.flatMap\(\(name\) => host\.load\(name, reason\)\.tools\(\)\)/);
    assert.deepEqual([...TOOL_FEATURES], ['gpu', 'kernels', 'tracking', 'models', 'data', 'serving', 'modelCard', 'jobs']);
  });

  it('confines paths to the folder and writes changes there', async () => {
    const toolset = folderToolset({ folder });
    try {
      const create = toolset.tools.find((t) => t.name === 'create_file')!;
      const signal = new AbortController().signal;
      await create.run({ path: 'notes/a.txt', content: 'hello' }, toolset.context, signal);
      assert.equal(readFileSync(join(folder, 'notes', 'a.txt'), 'utf8'), 'hello');
      const read = toolset.tools.find((t) => t.name === 'read_file')!;
      await assert.rejects(read.run({ path: '../outside.txt' }, toolset.context, signal));
    } finally {
      await toolset.dispose();
    }
  });

  it('kernel tools wait at most the budget given', async () => {
    const toolset = folderToolset({ folder, kernelWaitBudgetSeconds: 20 });
    try {
      const [schema] = ToolRegistry.toApi(toolset.tools.filter((t) => t.name === 'run_in_kernel')) as unknown as [{ input_schema: { properties: { wait_seconds: { maximum: number } } } }];
      assert.equal(schema.input_schema.properties.wait_seconds.maximum, 20);
      const run = toolset.tools.find((t) => t.name === 'run_in_kernel')!;
      assert.equal(run.input.safeParse({ code: 'x', wait_seconds: 21 }).success, false);
    } finally {
      await toolset.dispose();
    }
  });
});
