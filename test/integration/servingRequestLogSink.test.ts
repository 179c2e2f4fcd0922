import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DataEngine } from '../../src/data/engine/engineClient';
import { planDeployment, writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { detectFileDrift } from '../../src/monitoring/driftScan';
import { LocalModelServer } from '../../src/serving/localServer';

// KServe's request logger, received for real: Deploy's KServe scaffold (a real ONNX model written by
// Debian's python3-onnx) gets a `logger` section, and its request_log_sink.py, served by Debian's
// uvicorn + fastapi, is sent CloudEvents as KServe's agent posts them (binary mode: the request's JSON
// body, ce-* headers; v2 and v1 protocol bodies). Its rows are the JSON lines drift reads. No KServe
// cluster runs here: the events are the documented shape, not captured from an agent.

const PYTHON = '/usr/bin/python3';
const WRITE_MODEL = `
import sys
from onnx import helper, numpy_helper, TensorProto
import numpy as np
k = numpy_helper.from_array(np.array([1, 2, 3], dtype=np.float32), "k")
io = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 3])
g = helper.make_graph([helper.make_node("Add", ["x", "k"], ["y"])], "g", [io("x")], [io("y")], initializer=[k])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
open(sys.argv[1], "wb").write(m.SerializeToString())
`;

describe('Serving: the KServe request log sink, served by uvicorn', function () {
  this.timeout(120_000);
  let dir: string;
  let server: LocalModelServer | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-sink-'));
    const model = join(dir, 'scorer.onnx');
    execFileSync(PYTHON, ['-c', WRITE_MODEL, model]);
    writeDeployment(planDeployment(inspectModel(model), model, 'kserve'), join(dir, 'kserve'));
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the InferenceService logs requests to the sink, and the sink writes their rows for drift', async () => {
    const service = parseYaml(readFileSync(join(dir, 'kserve', 'inferenceservice.yaml'), 'utf8')) as { spec: { predictor: { logger: { mode: string; url: string } } } };
    assert.deepEqual(service.spec.predictor.logger, { mode: 'request', url: 'http://scorer-request-log' });
    const log = join(dir, 'sink-logs', 'requests.jsonl');
    server = await LocalModelServer.start({ python: PYTHON, appDir: join(dir, 'kserve'), module: 'request_log_sink', env: { MODEL_REQUEST_LOG: log, MODEL_FEATURE_NAMES: 'a,b,c' } });
    const post = (type: string, id: string, body: unknown): Promise<Response> =>
      fetch(`${server!.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': type, 'ce-id': id, 'ce-source': 'http://localhost:9081/', 'ce-inferenceservicename': 'scorer', 'ce-component': 'predictor' },
        body: JSON.stringify(body),
      });
    const rows = (shift: number): number[][] => Array.from({ length: 120 }, (_, i) => [(i % 12) + shift, i % 5, (i % 3) * 0.5]);
    const v2 = (batch: number[][]) => ({ inputs: [{ name: 'x', shape: [batch.length, 3], datatype: 'FP32', data: batch.flat() }] });
    assert.equal((await post('org.kubeflow.serving.inference.request', 'r1', v2(rows(8).slice(0, 60)))).status, 202);
    assert.equal((await post('org.kubeflow.serving.inference.response', 'r1', { outputs: [] })).status, 204, 'responses carry no features');
    // Nested data and the v1 protocol's instances are rows too.
    const nested = rows(8).slice(60, 100);
    assert.equal((await post('org.kubeflow.serving.inference.request', 'r2', { inputs: [{ name: 'x', shape: [nested.length, 3], datatype: 'FP32', data: nested }] })).status, 202);
    assert.equal((await post('org.kubeflow.serving.inference.request', 'r3', { instances: rows(8).slice(100) })).status, 202);
    assert.equal((await fetch(`${server.url}/`, { method: 'POST', headers: { 'ce-type': 'org.kubeflow.serving.inference.request' }, body: '{not json' })).status, 400);
    await server.stop();
    server = undefined;
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 120);
    assert.deepEqual({ ...lines[61], __ts: 0 }, { a: 9, b: 1, c: 0.5, __ts: 0, __id: 'r2' });
    assert.deepEqual({ ...lines[119], __ts: 0 }, { a: 19, b: 4, c: 1, __ts: 0, __id: 'r3' });

    const reference = join(dir, 'reference.csv');
    writeFileSync(reference, ['a,b,c', ...rows(0).map((r) => r.join(','))].join('\n') + '\n');
    const engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    try {
      const result = await detectFileDrift(engine, reference, log, {}, new AbortController().signal);
      assert.equal(result.currentRows, 120);
      assert.deepEqual(result.columns.filter((c) => c.drifted).map((c) => c.column), ['a']);
      assert.deepEqual(result.columns.map((c) => c.column).sort(), ['a', 'b', 'c']);
    } finally {
      await engine.close();
    }
  });
});
