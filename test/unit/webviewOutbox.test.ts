import assert from 'node:assert/strict';
import type { ToWebview } from '../../src/chat/protocol';
import { WebviewOutbox } from '../../src/chat/webviewOutbox';

const delta = (text: string, turnId = 't1'): ToWebview => ({ type: 'agentEvents', events: [{ type: 'textDelta', turnId, text }] });

/** An outbox whose posts settle when the test says, and whose flushes run when the test says (the end of a task). */
function harness() {
  const posted: ToWebview[] = [];
  const pending: (() => void)[] = [];
  const scheduled: (() => void)[] = [];
  const outbox = new WebviewOutbox({
    post: (message) => {
      posted.push(structuredClone(message));
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    schedule: (flush) => scheduled.push(flush),
    ackTimeoutMs: 50,
  });
  const endTask = (): void => {
    for (const flush of scheduled.splice(0)) flush();
  };
  const ackAll = async (): Promise<void> => {
    for (const resolve of pending.splice(0)) resolve();
    await new Promise((r) => setImmediate(r));
  };
  return { outbox, posted, endTask, ackAll, scheduled };
}

describe('chat webview outbox', () => {
  it('posts a lone delta at the end of its task, not held for anything', () => {
    const { outbox, posted, endTask } = harness();
    outbox.push(delta('Hello'));
    assert.equal(posted.length, 0, 'not within the task that produced it');
    endTask();
    assert.deepEqual(posted, [delta('Hello')]);
  });

  it('sends the events of one task together, consecutive text of one turn merged', () => {
    const { outbox, posted, endTask } = harness();
    outbox.push(delta('a'));
    outbox.push(delta('b'));
    outbox.push({ type: 'agentEvents', events: [{ type: 'thinkingDelta', turnId: 't1', text: 'x' }] });
    outbox.push(delta('c'));
    outbox.push(delta('d', 't2'));
    endTask();
    assert.equal(posted.length, 1);
    assert.deepEqual(posted[0], {
      type: 'agentEvents',
      events: [
        { type: 'textDelta', turnId: 't1', text: 'ab' },
        { type: 'thinkingDelta', turnId: 't1', text: 'x' },
        { type: 'textDelta', turnId: 't1', text: 'c' },
        { type: 'textDelta', turnId: 't2', text: 'd' },
      ],
    });
  });

  it('holds what follows until the view took the previous post, then sends it in order, together', async () => {
    const { outbox, posted, endTask, ackAll } = harness();
    outbox.push(delta('one '));
    endTask();
    outbox.push(delta('two '));
    outbox.push({ type: 'transcript', items: [], olderCount: 0 });
    outbox.push(delta('three '));
    outbox.push(delta('four '));
    endTask();
    assert.equal(posted.length, 1, 'nothing more while the first is on its way');
    await ackAll();
    endTask();
    assert.deepEqual(posted.slice(1), [delta('two '), { type: 'transcript', items: [], olderCount: 0 }, delta('three four ')]);
  });

  it('does not change the messages it was given', () => {
    const { outbox, endTask } = harness();
    const first = delta('a');
    outbox.push(first);
    outbox.push(delta('b'));
    endTask();
    assert.deepEqual(first, delta('a'));
  });

  it('goes on after a post that is never acknowledged, or that fails', async () => {
    const { outbox, posted, endTask } = harness();
    outbox.push(delta('lost '));
    endTask();
    outbox.push(delta('next '));
    await new Promise((r) => setTimeout(r, 80));
    endTask();
    assert.deepEqual(posted, [delta('lost '), delta('next ')]);

    const failing = new WebviewOutbox({ post: () => Promise.reject(new Error('view disposed')), schedule: setImmediate });
    const seen: string[] = [];
    const recording = new WebviewOutbox({
      post: (m) => {
        seen.push(m.type);
        return Promise.reject(new Error('view disposed'));
      },
      schedule: setImmediate,
    });
    failing.push(delta('x'));
    recording.push(delta('x'));
    await new Promise((r) => setImmediate(r));
    recording.push({ type: 'transcript', items: [], olderCount: 0 });
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ['agentEvents', 'transcript']);
  });
});
