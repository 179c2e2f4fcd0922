import assert from 'node:assert/strict';
import { isReadyMessage } from '../../src/webview/readyMessage';

// The compare, model viewer and GPU chart panels act on one message from their page. A page is
// untrusted input (a forged or damaged message must be ignored, not throw in the listener).
describe('webview ready message', () => {
  it('accepts the page\'s ready message', () => {
    assert.equal(isReadyMessage({ type: 'ready' }), true);
    assert.equal(isReadyMessage({ type: 'ready', extra: 1 }), true);
  });

  it('ignores forged and damaged messages without throwing', () => {
    const forged: unknown[] = [null, undefined, 'ready', 7, [], ['ready'], {}, { type: 'Ready' }, { type: ['ready'] }, Object.create({ type: 'ready' })];
    for (const message of forged) assert.equal(isReadyMessage(message), false, String(JSON.stringify(message)));
  });
});
