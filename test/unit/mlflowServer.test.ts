import * as assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MlflowServer } from '../../src/tracking/mlflowServer';

// A loopback stand-in for an MLflow tracking server's REST API (the shapes of
// docs/formats.md §1.4), with pagination on every list and a token check.

interface Seen {
  path: string;
  auth?: string;
  body?: Record<string, unknown>;
}

function standIn(runsCount: number, historyLength: number): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const readBody = (req: IncomingMessage): Promise<string> => new Promise((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data));
  });
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const text = await readBody(req);
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      seen.push({ path: url.pathname, auth: req.headers.authorization, ...(body ? { body } : {}) });
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.headers.authorization !== 'Bearer s3cret') return send(401, { error_code: 'UNAUTHENTICATED', message: 'Credential was not sent or was of an unsupported type' });
      const page = Number((body?.page_token as string | undefined) ?? url.searchParams.get('page_token') ?? 0);
      if (url.pathname === '/api/2.0/mlflow/experiments/search') {
        const all = [{ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' }, { experiment_id: '42', name: 'resnet', lifecycle_stage: 'active' }];
        return send(200, { experiments: all.slice(page, page + 1), ...(page + 1 < all.length ? { next_page_token: String(page + 1) } : {}) });
      }
      if (url.pathname === '/api/2.0/mlflow/runs/search') {
        const size = 3;
        const runs = Array.from({ length: runsCount }, (_, i) => ({
          info: { run_id: `r${i}`, run_name: `run-${i}`, experiment_id: '42', status: i === 0 ? 'RUNNING' : 'FINISHED', start_time: 1700000000000 + i, end_time: i === 0 ? undefined : 1700000060000 + i, lifecycle_stage: 'active' },
          data: { metrics: [{ key: 'val_loss', value: i === 1 ? 'NaN' : 1 / (i + 1), timestamp: 1700000001000, step: 99 }], params: [{ key: 'lr', value: String(10 ** -i) }], tags: [{ key: 'mlflow.user', value: 'mle' }] },
        }));
        return send(200, { runs: runs.slice(page, page + size), ...(page + size < runs.length ? { next_page_token: String(page + size) } : {}) });
      }
      if (url.pathname === '/api/2.0/mlflow/metrics/get-history') {
        const size = 250;
        const all = Array.from({ length: historyLength }, (_, i) => ({ key: url.searchParams.get('metric_key'), value: 1 / (i + 1), timestamp: 1700000000000 + i, step: i }));
        return send(200, { metrics: all.slice(page, page + size), ...(page + size < all.length ? { next_page_token: String(page + size) } : {}) });
      }
      send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'No such endpoint' });
    })();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server })));
}

describe('MLflow tracking server over REST (loopback stand-in)', () => {
  let stand: Awaited<ReturnType<typeof standIn>>;
  before(async () => (stand = await standIn(8, 1000)));
  after(() => stand.server.close());

  it('pages through experiments and runs, sends the token, and maps runs', async () => {
    const server = new MlflowServer(`${stand.url}/`, () => Promise.resolve('s3cret'));
    const snap = await server.load();
    assert.deepEqual(snap.problems, []);
    assert.deepEqual(snap.experiments.map((e) => [e.id, e.name, e.runs.length]), [['0', 'Default', 0], ['42', 'resnet', 8]]);
    const runs = snap.experiments[1]!.runs;
    assert.equal(runs[0]!.status, 'running');
    assert.equal(runs[0]!.endTime, undefined);
    assert.equal(runs[2]!.params.lr, '0.01');
    assert.ok(Number.isNaN(runs[1]!.metrics[0]!.last), '"NaN" from JSON reads as NaN');
    const searches = stand.seen.filter((s) => s.path.endsWith('runs/search'));
    assert.equal(searches.length, 3, '8 runs in pages of 3');
    assert.deepEqual(searches[0]!.body!.experiment_ids, ['0', '42']);
    assert.ok(stand.seen.every((s) => s.auth === 'Bearer s3cret'));
    const history = await server.history(runs[3]!, 'val_loss');
    assert.equal(history.length, 1000, 'four pages of 250');
    assert.deepEqual(history.slice(0, 2).map((p) => [p.step, p.value]), [[0, 1], [1, 0.5]]);
  });

  it('says what is wrong: no token, a wrong URL, nothing listening', async () => {
    const noToken = await new MlflowServer(stand.url, () => Promise.resolve(undefined)).load();
    assert.match(noToken.problems.join(), /answered 401: UNAUTHENTICATED Credential was not sent.*Set MLflow Server Token/);
    const notMlflow = await new MlflowServer(`${stand.url}/nope`, () => Promise.resolve('s3cret')).load();
    assert.match(notMlflow.problems.join(), /answered 404/);
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', () => resolve()));
    const port = (dead.address() as AddressInfo).port;
    dead.close();
    const unreachable = await new MlflowServer(`http://127.0.0.1:${port}`, () => Promise.resolve(undefined)).load();
    assert.match(unreachable.problems.join(), /cannot reach http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED/);
  });

  it('sends user:password as Basic auth (MLflow basic-auth app)', async () => {
    stand.seen.length = 0;
    await new MlflowServer(stand.url, () => Promise.resolve('admin:pw')).load();
    assert.equal(stand.seen[0]!.auth, `Basic ${Buffer.from('admin:pw').toString('base64')}`);
  });

  it('reads answers of unexpected shapes (a proxy, an old server) without TypeErrors, and names from them as they are', async () => {
    const answers: Record<string, unknown> = {
      '/api/2.0/mlflow/experiments/search': { experiments: [null, 7, { experiment_id: 5, name: { not: 'a name' } }, { experiment_id: '6', name: 'odd' }], next_page_token: { x: 1 } },
      '/api/2.0/mlflow/runs/search': {
        runs: [
          null,
          { info: 'nope' },
          { info: { run_id: 'r1', experiment_id: '6', status: 'constructor' }, data: { params: [{ key: '__proto__', value: 'p' }, null, { key: 'constructor', value: 3 }], tags: 'not a list', metrics: [{ key: 'toString', value: '0.5', step: '7' }, { value: 1 }] } },
        ],
      },
      '/api/2.0/mlflow/metrics/get-history': { metrics: { not: 'a list' } },
    };
    const odd = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answers[new URL(req.url ?? '/', 'http://x').pathname] ?? null));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', () => resolve()));
    try {
      const server = new MlflowServer(`http://127.0.0.1:${(odd.address() as AddressInfo).port}`, () => Promise.resolve(undefined));
      const snap = await server.load();
      assert.deepEqual(snap.problems, []);
      assert.deepEqual(snap.experiments.map((e) => [e.id, e.name]), [['5', 'experiment 5'], ['6', 'odd']]);
      const [run] = snap.experiments[1]!.runs;
      assert.equal(run!.status, 'unknown', 'not Object.prototype.constructor');
      assert.deepEqual(Object.entries(run!.params), [['__proto__', 'p'], ['constructor', '3']]);
      assert.deepEqual(run!.metrics, [{ key: 'toString', last: 0.5, lastStep: 7 }]);
      assert.deepEqual(await server.history(run!, 'toString'), []);
      answers['/api/2.0/mlflow/experiments/search'] = null;
      assert.match((await server.load()).problems.join(), /answered experiments\/search with something other than an object: is it an MLflow tracking server\?/);
    } finally {
      odd.close();
    }
  });
});
