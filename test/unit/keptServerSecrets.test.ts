import * as assert from 'node:assert/strict';
import { serverSecrets } from '../../src/serving/keptServers';

// A kept server's secret (keptServers.ts): the JSON this version writes, an older record's plain
// token (kept before load-test keys), and a secret that cannot be read, which restore() reports
// (its record cannot be called) instead of dropping it without a word.

describe("A kept server's secret", () => {
  it('this version: the token and the load-test key', () => {
    assert.deepEqual(serverSecrets(JSON.stringify({ token: 't0k', loadTestKey: 'k3y' })), { token: 't0k', loadTestKey: 'k3y' });
    assert.deepEqual(serverSecrets(JSON.stringify({ token: 't0k' })), { token: 't0k' });
  });

  it('an older record: a plain token loads, without a key', () => {
    assert.deepEqual(serverSecrets('plainToken-_x9'), { token: 'plainToken-_x9' });
  });

  it('nothing stored: no token and nothing to report (another machine, a cleared store)', () => {
    assert.deepEqual(serverSecrets(undefined), {});
    assert.deepEqual(serverSecrets(''), {});
  });

  it('malformed: no token, and why', () => {
    assert.deepEqual(serverSecrets('{"token": "t0k"'), { unreadable: 'could not be read from its stored secret (not valid JSON)' });
    assert.ok(!serverSecrets('{"token": xyzsecret"}').unreadable!.includes('xyzsecret'), "the reason does not quote the secret (V8's JSON.parse message does)");
    assert.deepEqual(serverSecrets(JSON.stringify({ loadTestKey: 'k3y' })), { unreadable: 'is missing from its stored secret' });
    assert.deepEqual(serverSecrets(JSON.stringify({ token: 42 })), { unreadable: 'is missing from its stored secret' });
  });
});
