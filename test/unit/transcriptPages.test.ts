import assert from 'node:assert/strict';
import type { TranscriptItem } from '../../src/chat/transcript';
import { FIRST_PAGE, OLDER_PAGE, olderItemsMessage, transcriptMessage } from '../../src/chat/transcriptPages';

const conversation = (n: number): TranscriptItem[] => Array.from({ length: n }, (_, i) => ({ kind: 'user', id: `u${i}`, text: `question ${i}` }));

describe('chat transcript pages', () => {
  it('opens a conversation with its newest items and says how many are older', () => {
    assert.deepEqual(transcriptMessage([]), { type: 'transcript', items: [], olderCount: 0 });
    const short = conversation(FIRST_PAGE);
    assert.deepEqual(transcriptMessage(short), { type: 'transcript', items: short, olderCount: 0 });
    const long = conversation(2000);
    const first = transcriptMessage(long);
    assert.equal(first.items.length, FIRST_PAGE);
    assert.equal(first.items[0]!.id, `u${2000 - FIRST_PAGE}`);
    assert.equal(first.items.at(-1)!.id, 'u1999');
    assert.equal(first.olderCount, 2000 - FIRST_PAGE);
  });

  it('pages back to the first item, each page ending right before the one asked about', () => {
    const long = conversation(2000);
    let page = transcriptMessage(long);
    const seen = [...page.items];
    while (page.olderCount > 0) {
      const older = olderItemsMessage(long, seen[0]!.id);
      assert.ok(older);
      assert.ok(older.items.length <= OLDER_PAGE);
      assert.equal(older.olderCount, long.length - seen.length - older.items.length);
      seen.unshift(...older.items);
      page = { ...page, olderCount: older.olderCount };
    }
    assert.deepEqual(seen, long);
  });

  it('answers nothing for an item the conversation does not hold (another one was opened meanwhile)', () => {
    assert.equal(olderItemsMessage(conversation(10), 'not-here'), undefined);
    assert.deepEqual(olderItemsMessage(conversation(10), 'u0'), { type: 'olderItems', beforeId: 'u0', items: [], olderCount: 0 });
  });
});
