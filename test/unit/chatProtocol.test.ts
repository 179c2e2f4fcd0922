import assert from 'node:assert/strict';
import { parseFromWebview } from '../../src/chat/protocol';

describe('chat webview protocol', () => {
  it('accepts the messages the webview sends', () => {
    for (const message of [{ type: 'ready' }, { type: 'setApiKey' }, { type: 'checkEnvironment' }]) {
      assert.deepEqual(parseFromWebview(message), { ok: true, message });
    }
  });

  it('rejects unknown, malformed and padded messages', () => {
    const forged: unknown[] = [
      null,
      'ready',
      42,
      {},
      { type: 'approve', callId: 'x' },
      { type: 'ready', extra: '<script>' },
      { type: ['ready'] },
      { type: { toString: () => 'ready' } },
    ];
    for (const raw of forged) {
      const parsed = parseFromWebview(raw);
      assert.equal(parsed.ok, false, `accepted ${JSON.stringify(raw)}`);
      if (!parsed.ok) assert.match(parsed.problem, /^rejected webview message/);
    }
  });

  it('names a code block by message and digest, and carries no code from the webview', () => {
    const digest = 'a'.repeat(64);
    for (const action of ['copy', 'insert', 'insertCell', 'runInKernel']) {
      assert.equal(parseFromWebview({ type: 'codeAction', action, itemId: 'turn-1:3', digest }).ok, true, action);
    }
    const refused: unknown[] = [
      { type: 'codeAction', action: 'copy', itemId: 'turn-1', digest, code: 'rm -rf ~' },
      { type: 'codeAction', action: 'run', itemId: 'turn-1', digest },
      { type: 'codeAction', action: 'copy', itemId: 'turn-1', digest: 'A'.repeat(64) },
      { type: 'codeAction', action: 'copy', itemId: '../x', digest },
      { type: 'copyCode', code: 'print(1)' },
      { type: 'runInKernel', code: 'print(1)' },
      { type: 'insertCell', code: 'print(1)', language: 'python' },
      { type: 'loadOlder', beforeId: 'x'.repeat(101) },
    ];
    for (const raw of refused) assert.equal(parseFromWebview(raw).ok, false, JSON.stringify(raw));
    assert.equal(parseFromWebview({ type: 'loadOlder', beforeId: 'user-1712' }).ok, true);
  });
});
