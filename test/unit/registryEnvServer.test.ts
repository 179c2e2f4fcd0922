import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverFromEnv } from '../../src/tracking/registry/envServer';

// MLFLOW_TRACKING_URI as the MCP server and `ml-engineer ask` read it: credentials written into
// the URI sign in, and never stay in the server's root (shown to the model, in messages, in logs).
describe('MLFLOW_TRACKING_URI for the surfaces without settings', () => {
  let http: Server;
  let port: number;
  const seen: IncomingHttpHeaders[] = [];
  before(async () => {
    http = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => http.close(() => resolve())));

  it('signs in with user:password from the URI and keeps them out of its root', async () => {
    const server = serverFromEnv({ MLFLOW_TRACKING_URI: `http://alice:s%3Acret@127.0.0.1:${port}/mlflow/` })!;
    assert.equal(server.root, `http://127.0.0.1:${port}/mlflow`);
    assert.ok(!server.id.includes('alice') && !server.label.includes('cret'));
    await server.call('/api/2.0/mlflow/registered-models/search', { method: 'GET' });
    assert.equal(seen.at(-1)?.authorization, `Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
  });

  it('a token variable wins over the URI\'s credentials; a URI without them is kept as written', async () => {
    const server = serverFromEnv({ MLFLOW_TRACKING_URI: `http://bob:pw@127.0.0.1:${port}`, MLFLOW_TRACKING_TOKEN: 'tok' })!;
    assert.equal(server.root, `http://127.0.0.1:${port}`);
    await server.call('/api/2.0/mlflow/registered-models/search', { method: 'GET' });
    assert.equal(seen.at(-1)?.authorization, 'Bearer tok');
    assert.equal(serverFromEnv({ MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}/` })!.root, `http://127.0.0.1:${port}`);
    assert.equal(serverFromEnv({ MLFLOW_TRACKING_URI: 'file:///tmp/mlruns' }), undefined);
  });
});
