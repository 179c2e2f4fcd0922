import * as assert from 'node:assert/strict';
import { STORAGE_KEYS } from '../../src/commandIds';
import { KernelJobRecords, type KernelJobRecord } from '../../src/jobs/kernel/kernelJobRecords';
import { JsonState, MapSecrets } from '../support/memoryStorage';

// The kernel jobs a window keeps for the next one: where in the workspace state, the token only in
// the secret store, and a state edited by hand (or by an older build) read without failing.

const record = (jobId: string, extra: Partial<KernelJobRecord> = {}): KernelJobRecord => ({ cluster: 'gpu-login', jobId, node: 'gpu07', remotePort: 40123, localPort: 50123, ...extra });

describe('KernelJobRecords', () => {
  it('keeps records in the state and tokens only in the secret store; remove forgets both', async () => {
    const state = new JsonState();
    const secrets = new MapSecrets();
    const records = new KernelJobRecords(state, secrets);
    // Saved at once (a reconnect and a start racing): neither is lost.
    await Promise.all([records.save(record('11'), 'a'.repeat(48)), records.save(record('12', { cluster: 'local', localPort: undefined }), 'b'.repeat(48))]);
    assert.deepEqual(new KernelJobRecords(state, secrets).list().map((r) => `${r.cluster}/${r.jobId}`), ['gpu-login/11', 'local/12']);
    assert.ok(!state.text().includes('aaaa') && !state.text().includes('bbbb'));
    assert.equal(await records.token(record('11')), 'a'.repeat(48));

    await records.save(record('11', { localPort: 50200 }), 'a'.repeat(48));
    assert.deepEqual(records.list().map((r) => r.localPort), [undefined, 50200], 'saving again replaces the record');

    await records.remove(record('11'));
    assert.deepEqual(records.list().map((r) => r.jobId), ['12']);
    assert.equal(await records.token(record('11')), undefined);
  });

  it('leaves out what is not a record of ours (a token in clear, a bad port or node, another type)', async () => {
    const state = new JsonState();
    await state.update(STORAGE_KEYS.kernelJobs, [
      record('1'),
      { ...record('2'), token: 'f'.repeat(48) },
      record('3', { remotePort: 70000 }),
      record('4', { node: '-oProxyCommand=x' }),
      record('5;rm', {}),
      'gpu-login/6',
      null,
    ]);
    assert.deepEqual(new KernelJobRecords(state, new MapSecrets()).list().map((r) => r.jobId), ['1']);
    await state.update(STORAGE_KEYS.kernelJobs, { jobs: [] });
    assert.deepEqual(new KernelJobRecords(state, new MapSecrets()).list(), []);
  });
});
