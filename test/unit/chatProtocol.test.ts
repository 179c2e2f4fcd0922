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
});
