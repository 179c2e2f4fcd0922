import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { registerWorkspaceTools } from '../../src/agent/tools/builtinTools';
import type { Tool } from '../../src/agent/tools/tool';
import { ToolRegistry } from '../../src/agent/tools/toolRegistry';
import { gpuStatusTool } from '../../src/gpu/gpuStatusTool';
import { kernelTools } from '../../src/kernels/kernelTools';
import { scaffoldDeploymentTool } from '../../src/models/deploy/deployTool';
import { exportModelTool } from '../../src/models/export/exportTool';
import { queryModelGraphTool } from '../../src/models/graph/graphTool';
import { inspectModelTool } from '../../src/models/modelTool';
import { optimizeModelTool } from '../../src/models/optimize/optimizeModel';
import { benchmarkModelTool } from '../../src/models/runtime/benchmarkTool';
import { loadOrt } from '../../src/models/runtime/onnxRun';
import { trackingTools } from '../../src/tracking/trackingTools';
import { lastToolResults } from '../support/fakeMessagesApi';
import { startHarness } from './agentHarness';

// In an untrusted workspace the agent gets read tools only (ToolRegistry.available(false), as
// chatController passes vscode.workspace.isTrusted). Checked over every tool the chat registers
// (src/extension.ts's featureTools plus the workspace tools), and through the agent loop.

/** The tools as src/extension.ts registers them; their dependencies are never called here (only names and risks are read). */
function everyTool(): Tool[] {
  const never = new Proxy({}, { get: () => () => Promise.reject(new Error('not called')) });
  const registry = new ToolRegistry();
  registerWorkspaceTools(registry);
  const ort = loadOrt();
  const python = (): Promise<string> => Promise.reject(new Error('not called'));
  const features = [
    gpuStatusTool(() => ({ kind: 'none' }) as never),
    ...kernelTools(never as never, never as never),
    ...trackingTools(never as never, () => Promise.resolve()),
    inspectModelTool(),
    queryModelGraphTool(),
    scaffoldDeploymentTool(),
    optimizeModelTool(() => ort, python, () => '/'),
    benchmarkModelTool(() => ort),
    exportModelTool(python, () => '/'),
  ];
  for (const tool of features) registry.register(tool);
  return registry.available(true);
}

describe('Untrusted workspaces: the agent reads, nothing else', function () {
  this.timeout(60_000);

  it('only read tools are offered, and they are the ones that only read', () => {
    const all = everyTool();
    const registry = new ToolRegistry();
    for (const tool of all) registry.register(tool);
    const offered = registry.available(false);
    assert.ok(offered.every((t) => t.risk === 'read'));
    assert.deepEqual(offered.map((t) => t.name).sort(), [
      'benchmark_model', 'compare_runs', 'gpu_status', 'inspect_model', 'kernel_state', 'kernel_variables', 'list_files', 'list_runs',
      'metric_history', 'query_model_graph', 'read_file', 'read_notebook', 'search_workspace', 'wait_for_execution',
    ]);
    const withheld = all.filter((t) => !offered.includes(t)).map((t) => t.name).sort();
    assert.deepEqual(withheld, ['create_file', 'edit_notebook_cell', 'export_model', 'interrupt_kernel', 'optimize_model', 'propose_edit', 'restart_kernel', 'run_command', 'run_in_kernel', 'scaffold_deployment']);
  });

  it('a write or run asked for anyway is refused by the session: no approval asked, nothing written', async () => {
    const h = await startHarness(
      (request, i) =>
        i === 0
          ? {
              kind: 'message',
              blocks: [
                { type: 'tool_use', name: 'create_file', input: { path: 'pwned.txt', content: 'x' } },
                { type: 'tool_use', name: 'run_command', input: { command: 'touch ran.txt' } },
                { type: 'tool_use', name: 'read_file', input: { path: 'notes.md' } },
              ],
            }
          : { kind: 'message', blocks: [{ type: 'text', text: lastToolResults(request).map((r) => String(r.content)).join(' | ') }] },
      { trusted: false, approve: () => true, files: { 'notes.md': 'hello' } },
    );
    try {
      await h.session.send('go', new AbortController().signal);
      const results = lastToolResults(h.server.requests[1]!.body);
      assert.deepEqual(results.map((r) => r.is_error === true), [true, true, false]);
      assert.match(String(results[0]!.content), /no tool named create_file/);
      assert.match(String(results[1]!.content), /no tool named run_command/);
      assert.equal(h.approvals.length, 0);
      assert.equal(existsSync(join(h.workspace, 'pwned.txt')) || existsSync(join(h.workspace, 'ran.txt')), false);
      assert.deepEqual(h.server.requests[0]!.body.tools?.map((t) => t.name).sort(), ['list_files', 'read_file', 'read_notebook', 'search_workspace']);
    } finally {
      await h.close();
    }
  });
});
