import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalBroker } from '../../src/agent/approvalBroker';
import type { ApprovalRequest } from '../../src/agent/agentSession';
import { runCommandTool } from '../../src/agent/tools/commandTool';
import { exportModelTool } from '../../src/models/export/exportTool';
import { optimizeModelTool } from '../../src/models/optimize/optimizeModel';
import { loadOrt } from '../../src/models/runtime/onnxRun';
import type { Tool } from '../../src/agent/tools/tool';
import type { ScriptedReply } from '../support/fakeMessagesApi';
import { startHarness, type Harness } from './agentHarness';

// "Allow for this chat" through the real agent loop (loopback Messages API, the real
// ApprovalBroker): the user allows export_model once for a pickle, and the model then asks to
// export another pickle, and the first one after it was replaced. Loading a pickle runs its
// code: each must be asked again. The same for optimize_model (the user's Python loads the
// model) and run_command (a different command).

const examples = join(__dirname, '..', '..', 'examples');
const PYTHON = '/usr/bin/python3';

describe('"Allow for this chat" covers the file (or command) it was given for', function () {
  this.timeout(120_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** A session whose user answers every prompt "Allow for this chat"; `asked` lists what they were shown. */
  async function session(calls: { name: string; input: unknown }[], before: (workspace: string, call: number) => void, extraTools: readonly Tool[]) {
    const broker = new ApprovalBroker(() => []);
    const asked: string[] = [];
    const script = (_: unknown, i: number): ScriptedReply => {
      if (i >= calls.length) return { kind: 'message', blocks: [{ type: 'text', text: 'done' }] };
      before(h!.workspace, i);
      return { kind: 'message', blocks: [{ type: 'tool_use', name: calls[i]!.name, input: calls[i]!.input }] };
    };
    h = await startHarness(script, {
      extraTools,
      approve: (request: ApprovalRequest) => {
        const answer = broker.request(request, new AbortController().signal);
        // Only a call the broker did not allow already reaches the user.
        if (broker.pendingRequest(request.callId)) {
          asked.push(request.confirmation);
          broker.answer(request.callId, true, 'conversation');
        }
        return answer;
      },
    });
    await h.session.send('go', new AbortController().signal);
    return asked;
  }

  it('export_model: another pickle, and the same pickle replaced, are asked about again', async () => {
    const pipeline = join(examples, 'models', 'churn_pipeline.joblib');
    const asked = await session(
      [
        { name: 'export_model', input: { path: 'a.joblib', target: 'onnx' } },
        { name: 'export_model', input: { path: 'a.joblib', target: 'onnx' } },
        { name: 'export_model', input: { path: 'b.joblib', target: 'onnx' } },
        { name: 'export_model', input: { path: 'a.joblib', target: 'onnx' } },
      ],
      (ws, i) => {
        if (i === 0) for (const f of ['a.joblib', 'b.joblib']) copyFileSync(pipeline, join(ws, f));
        // Before the fourth call, a.joblib is replaced by another pickle of the same size.
        if (i === 3) copyFileSync(join(ws, 'b.joblib'), join(ws, 'a.joblib'));
      },
      [exportModelTool(() => Promise.resolve(PYTHON), () => h!.workspace)],
    );
    assert.deepEqual(asked, [
      'Export a.joblib to onnx with Python (loading a pickle or TorchScript runs code from the file)',
      'Export b.joblib to onnx with Python (loading a pickle or TorchScript runs code from the file)',
      'Export a.joblib to onnx with Python (loading a pickle or TorchScript runs code from the file)',
    ]);
  });

  it('optimize_model: another model is asked about again', async () => {
    const ort = loadOrt();
    const asked = await session(
      [
        { name: 'optimize_model', input: { path: 'a/simple_cnn.onnx', precision: 'int8', benchmark_seconds: 1 } },
        { name: 'optimize_model', input: { path: 'a/simple_cnn.onnx', precision: 'fp16', benchmark_seconds: 1 } },
        { name: 'optimize_model', input: { path: 'b/simple_cnn.onnx', precision: 'int8', benchmark_seconds: 1 } },
      ],
      (ws, i) => {
        if (i > 0) return;
        for (const d of ['a', 'b']) {
          mkdirSync(join(ws, d));
          for (const f of ['simple_cnn.onnx', 'simple_cnn.onnx.data']) copyFileSync(join(examples, 'models', f), join(ws, d, f));
        }
      },
      [optimizeModelTool(() => ort)],
    );
    assert.deepEqual(asked, ['Write an int8 copy of a/simple_cnn.onnx and its report', 'Write an int8 copy of b/simple_cnn.onnx and its report']);
  });

  it('run_command: allowing one command does not allow another', async () => {
    const asked = await session(
      [
        { name: 'run_command', input: { command: 'echo safe' } },
        { name: 'run_command', input: { command: 'echo safe' } },
        { name: 'run_command', input: { command: 'echo other > other.txt' } },
      ],
      (ws) => writeFileSync(join(ws, 'x'), ''),
      [],
    );
    assert.equal(runCommandTool.risk, 'execute');
    assert.deepEqual(asked, ['Run: echo safe', 'Run: echo other > other.txt']);
  });
});
