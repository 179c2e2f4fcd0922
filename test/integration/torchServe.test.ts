import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { LocalModelServer } from '../../src/serving/localServer';
import { REQUEST_LOG_FLUSH_SECONDS } from '../../src/serving/requestLogText';
import { sampleBody } from '../../src/serving/sampleRequest';
import { appDirFor } from '../../src/serving/appFolder';
import { planServeApp, servingLoadsPickle } from '../../src/serving/servePlan';
import { eventually } from '../support/eventually';

// Serve Locally on PyTorch files for real, with Debian's python3-torch, python3-fastapi and
// python3-uvicorn: a pickled nn.Module whose class lives in the workspace (tinynet.py) and the same
// model as TorchScript, each answering what torch itself predicts; a state dict refused in words
// before anything is written; a module pickled from a script's __main__ refused in words at start.

const PYTHON = '/usr/bin/python3';
const NET = `import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        return self.body(x)
`;
const MAKE = `import sys, torch
sys.path.insert(0, sys.argv[1])
from tinynet import Net
torch.manual_seed(0)
net = Net().eval()
torch.save(net, sys.argv[1] + "/models/net.pt")
torch.jit.script(net).save(sys.argv[1] + "/models/net_script.pt")
torch.save(net.state_dict(), sys.argv[1] + "/models/weights.pth")

class Local(torch.nn.Module):
    def forward(self, x):
        return x * 2

torch.save(Local(), sys.argv[1] + "/models/main.pt")
`;
const ROWS = [[0.5, -1, 2, 0], [1, 1, 1, 1], [0, 0, 0, 0]];

describe('Serve Locally on a PyTorch file: a real uvicorn with torch', function () {
  this.timeout(180_000);
  let ws: string;
  let server: LocalModelServer | undefined;
  let expected: number[][];

  before(() => {
    ws = mkdtempSync(join(tmpdir(), 'mle-torch-serve-'));
    mkdirSync(join(ws, 'models'));
    writeFileSync(join(ws, 'tinynet.py'), NET);
    execFileSync(PYTHON, ['-c', MAKE, ws], { stdio: 'pipe' });
    const predict = 'import sys, json, torch\nm = torch.jit.load(sys.argv[1])\nprint(json.dumps(m(torch.tensor(json.loads(sys.argv[2]))).tolist()))';
    expected = JSON.parse(execFileSync(PYTHON, ['-c', predict, join(ws, 'models', 'net_script.pt'), JSON.stringify(ROWS)], { encoding: 'utf8' })) as number[][];
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  const serve = async (file: string, env: Record<string, string> = {}) => {
    const model = join(ws, 'models', file);
    const info = inspectModel(model);
    const { appDir: dir } = await appDirFor(ws, model);
    writeDeployment(planServeApp(info, model), dir);
    server = await LocalModelServer.start({ python: PYTHON, appDir: dir, module: 'app', env });
    return { dir, info };
  };
  const close = (a: number[][], b: number[][]) => a.length === b.length && a.every((row, i) => row.every((v, j) => Math.abs(v - b[i]![j]!) < 1e-5));

  it('a pickled nn.Module (asks first): predictions equal torch, dict rows, 422s, 401, the request log', async () => {
    const { dir, info } = await serve('net.pt', { MODEL_REQUEST_LOG: join(ws, 'net.jsonl') });
    assert.equal(info.torchKind, 'pickled-module');
    assert.ok(servingLoadsPickle(info), 'the trust prompt comes first');
    assert.match(readFileSync(join(dir, 'app.py'), 'utf8'), /serve only files you trust/);
    const meta = JSON.parse((await server!.call('/metadata')).body) as { features: string[]; kind: string };
    assert.deepEqual(meta.features, ['x0', 'x1', 'x2', 'x3']);
    assert.equal(meta.kind, 'pickled-module');
    const answer = await server!.call('/predict', JSON.stringify({ instances: ROWS }));
    assert.equal(answer.status, 200, answer.body);
    assert.ok(close((JSON.parse(answer.body) as { predictions: number[][] }).predictions, expected), answer.body);
    assert.equal(server!.latency.count, 1, 'the Deployments view has the 200 answer\'s latency');
    const named = await server!.call('/predict', JSON.stringify({ instances: [{ x0: 0.5, x1: -1, x2: 2, x3: 0 }] }));
    assert.ok(close((JSON.parse(named.body) as { predictions: number[][] }).predictions, expected.slice(0, 1)), named.body);

    const wide = await server!.call('/predict', JSON.stringify({ instances: [[1, 2, 3]] }));
    assert.equal(wide.status, 422);
    assert.match(wide.body, /each instance is 4 numbers/);
    assert.equal((await server!.call('/predict', JSON.stringify({ instances: [[1, 2, 3, 4], [1, 2]] }))).status, 422, 'ragged rows');
    assert.equal((await server!.call('/predict', JSON.stringify({ instances: [['a', 2, 3, 4]] }))).status, 422, 'not numbers');
    assert.equal((await server!.call('/predict', JSON.stringify({ instances: [{ x0: 1 }] }))).status, 422, 'missing features');
    assert.equal((await server!.call('/predict', '{"instances": 5}')).status, 422);
    const unauthorised = await fetch(`${server!.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: ROWS }) });
    assert.equal(unauthorised.status, 401);

    // Time for a refused request's row to show (it must not), then the rows waited for: the log's thread writes them in its own time.
    await new Promise((r) => setTimeout(r, REQUEST_LOG_FLUSH_SECONDS * 1000 + 800));
    const readLog = (): Record<string, unknown>[] => readFileSync(join(ws, 'net.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const log = await eventually('the predicted rows in the request log', readLog, (rows) => rows.length >= 4, { timeoutMs: 10_000 });
    assert.equal(log.length, 4, 'one line per predicted row, none for refused requests');
    assert.equal(log[0]!.x0, 0.5);
    assert.equal(log[0]!.x1, -1);
    assert.ok(Array.isArray(log[0]!.__prediction) && typeof log[0]!.__latency_ms === 'number');
  });

  it('TorchScript (no class needed, no pickle prompt): the same predictions, and the sample request from /metadata', async () => {
    const { info } = await serve('net_script.pt', { MODEL_REQUEST_LOG: 'off', MODEL_CODE_DIR: join(ws, 'models') });
    assert.equal(info.torchKind, 'torchscript');
    assert.equal(servingLoadsPickle(info), false);
    const answer = await server!.call('/predict', JSON.stringify({ instances: ROWS }));
    assert.equal(answer.status, 200, answer.body);
    assert.ok(close((JSON.parse(answer.body) as { predictions: number[][] }).predictions, expected), answer.body);
    const sample = await sampleBody(server!);
    assert.equal(sample, '{"instances":[{"x0":0,"x1":0,"x2":0,"x3":0}]}\n');
    assert.equal((await server!.call('/predict', sample)).status, 200);
  });

  it('a state dict is refused in words before anything is written; a __main__ class is refused at start', async () => {
    const weights = join(ws, 'models', 'weights.pth');
    const info = inspectModel(weights);
    assert.equal(info.torchKind, 'weights');
    assert.throws(() => planServeApp(info, weights), /weights only .*needs the model's class too.*torch\.jit\.script\(model\)\.save/);
    await assert.rejects(serve('main.pt'), (e: Error) => /RuntimeError: cannot load .*main.pt.*Define the model's class in a module/.test(e.message), 'names what to do');
  });
});
