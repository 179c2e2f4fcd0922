import * as assert from 'node:assert/strict';
import { BINDINGS_KEY, KernelBindings, RUNNING_KEY, type KernelBinding, type KeyValueStorage } from '../../src/kernels/kernelBindings';

/** Workspace state as VS Code keeps it: values through JSON, visible as soon as update is called, persisted later. */
class JsonStorage implements KeyValueStorage {
  readonly values = new Map<string, string>();
  get<T>(key: string): T | undefined {
    const text = this.values.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
  update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.stringify(value));
    return new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const A = 'file:///work/train.ipynb';
const B = 'file:///work/eval.ipynb';
const binding = (kernelId: string, serverId = 'local', spec = 'python3'): KernelBinding => ({ serverId, spec, kernelId, clientId: `client-${kernelId}` });

describe('kernel bindings kept across reloads (core)', () => {
  it('keeps each notebook\'s kernel, and a new instance on the same storage (a reload) finds it', async () => {
    const storage = new JsonStorage();
    const before = new KernelBindings(storage);
    await before.bind(A, binding('k1'));
    await before.bind(B, binding('k2', 'remote-x', 'ir'));
    const after = new KernelBindings(storage);
    assert.deepEqual(after.binding(A), binding('k1'));
    assert.deepEqual(after.binding(B), binding('k2', 'remote-x', 'ir'));
    assert.equal(after.binding('file:///other.ipynb'), undefined);
    assert.equal(after.isBoundTo(A, 'local', 'python3'), true);
    assert.equal(after.isBoundTo(A, 'local', 'ir'), false);
    assert.equal(after.isBoundTo(B, 'local', 'ir'), false);
  });

  it('keeps both of two notebooks bound at once', async () => {
    const storage = new JsonStorage();
    const bindings = new KernelBindings(storage);
    await Promise.all([bindings.bind(A, binding('k1')), bindings.bind(B, binding('k2')), bindings.setRunning(A, { cellIndex: 0, msgId: 'm', kernelId: 'k1', startedAt: 1 })]);
    assert.deepEqual(Object.keys(storage.get<Record<string, unknown>>(BINDINGS_KEY)!).sort(), [B, A].sort());
    assert.equal(new KernelBindings(storage).running(A)?.msgId, 'm');
  });

  it('reads what earlier versions stored under the same keys', () => {
    const storage = new JsonStorage();
    storage.values.set(BINDINGS_KEY, JSON.stringify({ [A]: { serverId: 'local', spec: 'python3', kernelId: 'old', clientId: 'c' } }));
    storage.values.set(RUNNING_KEY, JSON.stringify({ [A]: { cellIndex: 3, msgId: 'msg', kernelId: 'old', startedAt: 1700000000000 } }));
    const bindings = new KernelBindings(storage);
    assert.equal(bindings.binding(A)?.kernelId, 'old');
    assert.deepEqual(bindings.toReattach(A, 'local', 'python3'), { cellIndex: 3, msgId: 'msg', kernelId: 'old', startedAt: 1700000000000 });
  });

  it('follows a running cell after a reload only on the kernel it was started on', async () => {
    const bindings = new KernelBindings(new JsonStorage());
    await bindings.bind(A, binding('k1'));
    await bindings.setRunning(A, { cellIndex: 2, msgId: 'm1', kernelId: 'k1', startedAt: 5 });
    assert.equal(bindings.toReattach(A, 'local', 'python3')?.msgId, 'm1');
    assert.equal(bindings.toReattach(A, 'local', 'other-spec'), undefined, 'another spec picked');
    assert.equal(bindings.toReattach(A, 'remote-x', 'python3'), undefined, 'another server picked');
    await bindings.bind(A, binding('k9')); // the kernel was gone: a new one was started
    assert.equal(bindings.toReattach(A, 'local', 'python3'), undefined);
    assert.equal(bindings.toReattach(B, 'local', 'python3'), undefined, 'nothing runs there');
  });

  it('forgets a finished cell and leaves the other notebooks\' running cells', async () => {
    const bindings = new KernelBindings(new JsonStorage());
    await bindings.setRunning(A, { cellIndex: 0, msgId: 'a', kernelId: 'k1', startedAt: 1 });
    await bindings.setRunning(B, { cellIndex: 1, msgId: 'b', kernelId: 'k2', startedAt: 2 });
    await bindings.clearRunning(A);
    assert.equal(bindings.running(A), undefined);
    assert.equal(bindings.running(B)?.msgId, 'b');
  });

  it('ignores stored values of the wrong shape instead of failing', () => {
    const storage = new JsonStorage();
    storage.values.set(BINDINGS_KEY, JSON.stringify({ [A]: { serverId: 'local' }, [B]: 'garbage' }));
    storage.values.set(RUNNING_KEY, JSON.stringify([1, 2, 3]));
    const bindings = new KernelBindings(storage);
    assert.equal(bindings.binding(A), undefined);
    assert.equal(bindings.binding(B), undefined);
    assert.equal(bindings.running(A), undefined);
    assert.equal(bindings.toReattach(A, 'local', 'python3'), undefined);
  });
});
