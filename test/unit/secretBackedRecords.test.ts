import * as assert from 'node:assert/strict';
import { SecretBackedRecords, type RecordKind } from '../../src/common/secretBackedRecords';
import { JsonState, MapSecrets } from '../support/memoryStorage';

// The store kept model servers and kernel jobs share: records in the state, a token per record in
// the secret store, saves one after another, what is not a record left out.

interface Thing {
  readonly id: string;
  readonly port: number;
}
const kind: RecordKind<Thing, Pick<Thing, 'id'>> = {
  stateKey: 'test.things',
  tokenKey: (k) => `test.things/${k.id}`,
  same: (a, b) => a.id === b.id,
  isRecord: (v): v is Thing => typeof v === 'object' && v !== null && typeof (v as Thing).id === 'string' && Number.isInteger((v as Thing).port),
};

describe('SecretBackedRecords', () => {
  it('records in the state, tokens only in the secret store; saves at once keep both; save replaces, remove forgets both', async () => {
    const state = new JsonState();
    const secrets = new MapSecrets();
    const store = new SecretBackedRecords(state, secrets, kind);
    await Promise.all([store.save({ id: 'a', port: 1 }, 'x'.repeat(40)), store.save({ id: 'b', port: 2 }, 'y'.repeat(40))]);
    assert.deepEqual(new SecretBackedRecords(state, secrets, kind).list(), [{ id: 'a', port: 1 }, { id: 'b', port: 2 }]);
    assert.ok(!state.text().includes('xxxx') && !state.text().includes('yyyy'), 'no token in the state');
    assert.equal(await store.token({ id: 'a' }), 'x'.repeat(40));
    await store.save({ id: 'a', port: 3 }, 'z'.repeat(40));
    assert.deepEqual(store.list(), [{ id: 'b', port: 2 }, { id: 'a', port: 3 }]);
    assert.equal(await store.token({ id: 'a' }), 'z'.repeat(40));
    await store.remove({ id: 'a' });
    assert.deepEqual(store.list(), [{ id: 'b', port: 2 }]);
    assert.equal(await store.token({ id: 'a' }), undefined);
  });

  it('leaves out what is not a record; a failed save rejects and does not stop the next', async () => {
    const state = new JsonState();
    await state.update(kind.stateKey, [{ id: 'a', port: 1 }, { id: 'b' }, 'c', null, 7]);
    const secrets = new MapSecrets();
    const store = new SecretBackedRecords(state, secrets, kind);
    assert.deepEqual(store.list(), [{ id: 'a', port: 1 }]);
    await state.update(kind.stateKey, { things: [] });
    assert.deepEqual(store.list(), []);
    const store2 = new SecretBackedRecords(state, { ...secrets, get: (k) => secrets.get(k), delete: (k) => secrets.delete(k), store: () => Promise.reject(new Error('keychain locked')) }, kind);
    await assert.rejects(store2.save({ id: 'a', port: 1 }, 't'), /keychain locked/);
    assert.deepEqual(store2.list(), [], 'no record without its token');
    await store2.remove({ id: 'a' });
    assert.deepEqual(store2.list(), []);
  });
});
