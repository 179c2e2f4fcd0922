import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ToolRegistry } from '../../src/agent/tools/toolRegistry';
import { CHAT_PARTICIPANT } from '../../src/commandIds';
import { prepareInvocation, resultText } from '../../src/lmtools/lmToolCatalog';
import { LM_TOOL_SET, LM_TOOLS, lmToolName } from '../../src/lmtools/lmToolNames';
import { featureToolDefinitions } from '../support/lmToolsInNode';

interface ContributedTool {
  name: string;
  toolReferenceName: string;
  modelDescription: string;
  tags: string[];
  inputSchema: unknown;
}
const manifest = JSON.parse(readFileSync(join(resolve(__dirname, '../..'), 'package.json'), 'utf8')) as {
  contributes: { languageModelTools: ContributedTool[]; languageModelToolSets: { name: string; tools: string[] }[]; chatParticipants: { id: string; name: string }[] };
};

describe('language model tools for Copilot (package.json against the features’ tools)', () => {
  const definitions = featureToolDefinitions();

  it('contributes exactly the catalog, at most 16, each with its tool’s description, risk tag and input schema', () => {
    const contributed = manifest.contributes.languageModelTools;
    assert.ok(contributed.length <= 16, 'Copilot refuses requests with more than 128 tools in all: keep ours few');
    assert.deepEqual(contributed.map((t) => t.name), LM_TOOLS.map((t) => lmToolName(t.name)));
    for (const entry of contributed) {
      const tool = definitions.find((t) => t.name === entry.toolReferenceName);
      assert.ok(tool, `${entry.name} is no feature tool`);
      assert.equal(entry.modelDescription, tool.description, `${entry.name}: regenerate from the tool`);
      assert.ok(entry.tags.includes(tool.risk), `${entry.name} is tagged with its risk`);
      assert.deepEqual(entry.inputSchema, ToolRegistry.toApi([tool])[0]!.input_schema, `${entry.name}: input schema differs from the tool's zod schema`);
    }
  });

  it('groups them in one tool set and declares the @ml participant', () => {
    assert.deepEqual(manifest.contributes.languageModelToolSets.map((s) => [s.name, s.tools]), [[LM_TOOL_SET, LM_TOOLS.map((t) => lmToolName(t.name))]]);
    assert.deepEqual(manifest.contributes.chatParticipants.map((p) => [p.id, p.name]), [[CHAT_PARTICIPANT, 'ml']]);
  });

  it('asks before writes and execution, saying what runs; reads just run', () => {
    const find = (name: string) => definitions.find((t) => t.name === name)!;
    assert.equal(prepareInvocation(find('list_runs'), {}).confirmation, undefined);
    const run = prepareInvocation(find('run_in_kernel'), { code: 'model.fit(X, y)\nprint(score)' });
    assert.match(run.confirmation!.message, /runs code on your machine/);
    assert.match(run.confirmation!.message, /```python\nmodel\.fit\(X, y\)\nprint\(score\)\n```/);
    const write = prepareInvocation(find('scaffold_deployment'), { path: 'model.onnx', target: 'fastapi' }, { path: 'deploy/model-fastapi/app.py', before: null });
    assert.match(write.confirmation!.message, /changes files in your workspace/);
    assert.match(write.confirmation!.message, /Creates `deploy\/model-fastapi\/app\.py`/);
    for (const entry of LM_TOOLS) {
      const tool = find(entry.name);
      // Fields of every tool's input at once: each confirmation reads its own.
      const input = { code: 'x = 1', path: 'model.onnx', target: 'fastapi', precision: 'int8', run_ids: ['a', 'b'] };
      assert.equal(prepareInvocation(tool, input).confirmation === undefined, tool.risk === 'read', `${entry.name} (${tool.risk})`);
    }
  });

  it('gives the model the result text, errors marked and images named', () => {
    assert.equal(resultText({ content: 'ok', summary: 's' }), 'ok');
    assert.equal(resultText({ content: 'bad path', summary: 's', isError: true }), 'Error: bad path');
    assert.match(resultText({ content: 'plot', summary: 's', images: [{ mediaType: 'image/png', data: 'AA==' }] }), /1 image not shown/);
  });
});
