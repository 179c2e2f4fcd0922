import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_MODEL, FALLBACK_MODELS } from '../../src/agent/models';
import { trimOldToolResults } from '../../src/agent/contextBudget';
import { LoopGuard } from '../../src/agent/loopGuard';
import { costOf, priceOf } from '../../src/agent/pricing';
import { frameworksIn, systemPrompt } from '../../src/agent/systemPrompt';
import { summariseNotebook } from '../../src/agent/tools/notebookSummary';

const notebooks = join(__dirname, '../fixtures/notebooks');

describe('agent core', () => {
  describe('notebook summary (real notebooks)', () => {
    it('names images with their size instead of including base64', () => {
      const text = readFileSync(join(notebooks, 'tensorboard-reducer__functorch_mlp_ensemble.ipynb'), 'utf8');
      const summary = summariseNotebook(text, 'ensemble.ipynb');
      assert.match(summary, /\[image\/png, [\d.]+ KB\]/);
      assert.doesNotMatch(summary, /iVBORw0KGgo/, 'no PNG base64');
      assert.ok(summary.length < text.length / 5, `summary is ${summary.length} of ${text.length} characters`);
      assert.match(summary, /--- cell 0 \(/);
    });

    it('shows errors with the end of the traceback, without colour codes', () => {
      const text = readFileSync(join(notebooks, 'onnx__quickstart__error-output.ipynb'), 'utf8');
      const summary = summariseNotebook(text, 'quickstart.ipynb');
      assert.match(summary, /error \w+(Error|Exception)/);
      assert.ok(!summary.includes('\u001b['), 'colour codes left in');
    });

    it('says what is wrong with a file that is not a notebook', () => {
      assert.throws(() => summariseNotebook('{"cells": 3', 'x.ipynb'), /not valid notebook JSON/);
      assert.throws(() => summariseNotebook('{"worksheets": []}', 'x.ipynb'), /no cells array/);
    });
  });

  it('finds frameworks named in dependency files', () => {
    const requirements = 'torch==2.3.0\nscikit-learn>=1.4\n# wandb\nmlflow[extras]~=2.0\nnumpy\n';
    const pyproject = '[project]\ndependencies = ["lightning>=2", "transformers", "not-torch-related"]\n';
    assert.deepEqual(frameworksIn([requirements, pyproject]), ['lightning', 'mlflow', 'numpy', 'scikit-learn', 'torch', 'transformers']);
  });

  it('puts workspace facts in a system prompt that starts from ML practice', () => {
    const prompt = systemPrompt({ folders: ['proj'], frameworks: ['torch'], python: '3.11.2', gpus: ['NVIDIA H100'] });
    assert.match(prompt, /Baseline first/);
    // The lifecycle discipline of #20: metric and split before training, runs tracked, only tool numbers.
    assert.match(prompt, /Before training, tell the user the target, the metric and the validation split/);
    assert.match(prompt, /State only numbers a tool returned/);
    assert.match(prompt, /notebook[^\n]*run its cells in the kernel \(run_in_kernel\)/);
    assert.match(prompt, /compare_models_on_data on the saved held-out split/);
    assert.match(prompt, /Frameworks named in its dependency files: torch/);
    assert.match(prompt, /GPUs: NVIDIA H100/);
  });

  it('prices tokens by model family, cache writes at 1.25x and reads at 0.1x', () => {
    const price = priceOf('claude-opus-5-5');
    assert.deepEqual(price, { input: 5, output: 25 });
    const cost = costOf({ input_tokens: 1_000_000, output_tokens: 1_000_000, cache_creation_input_tokens: 1_000_000, cache_read_input_tokens: 1_000_000 }, price);
    assert.equal(cost, 5 + 25 + 6.25 + 0.5);
    assert.equal(priceOf('my-gateway-model'), undefined);
    assert.deepEqual(priceOf('my-gateway-model', { 'my-gateway-model': { input: 1, output: 2 } }), { input: 1, output: 2 });
  });

  it('detects the same call repeated, whatever the key order', () => {
    const guard = new LoopGuard(3);
    assert.equal(guard.record('read_file', { path: 'a', start_line: 1 }), false);
    assert.equal(guard.record('read_file', { start_line: 1, path: 'a' }), false);
    assert.equal(guard.record('read_file', { path: 'b' }), false);
    assert.equal(guard.record('read_file', { path: 'a', start_line: 1 }), true);
  });

  it('trims the oldest tool results first and never the recent ones', () => {
    const result = (id: string, size: number) => ({ role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: id, content: 'y'.repeat(size) }] });
    const call = (id: string) => ({ role: 'assistant' as const, content: [{ type: 'tool_use' as const, id, name: 't', input: {} }] });
    const messages = [call('1'), result('1', 40_000), call('2'), result('2', 40_000), call('3'), result('3', 40_000)];
    const { messages: out, trimmed } = trimOldToolResults(messages, 15_000, '', 2);
    assert.equal(trimmed, 2);
    assert.match(JSON.stringify(out[1]), /Earlier tool output removed/);
    assert.match(JSON.stringify(out[3]), /Earlier tool output removed/);
    assert.equal(JSON.stringify(out[5]).length > 40_000, true);
    assert.equal(JSON.stringify(messages[1]).length > 40_000, true, 'the input is not changed');
  });
});

describe('agent core boundaries', () => {
  it('imports no feature: the features give it tools, the chat gives it workspace facts', () => {
    const agent = resolve(__dirname, '../../src/agent');
    const features = ['gpu', 'python', 'kernels', 'models', 'tracking', 'doctor', 'chat', 'cli', 'webview'];
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const offenders: string[] = [];
    for (const file of files(agent)) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)) {
        const target = relative(resolve(agent, '..'), resolve(dirname(file), specifier!)).split(sep);
        if (features.includes(target[0]!)) offenders.push(`${relative(agent, file)} -> ${specifier}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});

describe('models', () => {
  it('defaults to models the SDK does not mark deprecated', async () => {
    // Not an exported path of the SDK: load its data file by location.
    const sdkDir = dirname(require.resolve('@anthropic-ai/sdk'));
    const { DEPRECATED_MODELS } = (await import(join(sdkDir, 'internal/data/deprecated-models.js'))) as { DEPRECATED_MODELS: Record<string, string> };
    assert.ok(Object.keys(DEPRECATED_MODELS).length > 0, 'the SDK lists deprecated models');
    for (const model of [DEFAULT_MODEL, ...FALLBACK_MODELS]) assert.equal(DEPRECATED_MODELS[model], undefined, `${model} is deprecated`);
    const pkg = readFileSync(join(__dirname, '../../package.json'), 'utf8');
    assert.match(pkg, new RegExp(`"mlEngineer.agent.model": \\{[^}]*"default": "${DEFAULT_MODEL}"`), 'the setting default matches');
  });
});
