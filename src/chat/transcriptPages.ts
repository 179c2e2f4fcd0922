// A long conversation reaches the webview page by page: its newest items when it opens, older
// ones as the view scrolls up. Sending all 2,000 items of a long chat at once cost more than
// drawing them (they cross the extension host, the workbench and two frames).
import type { ToWebview } from './protocol';
import type { TranscriptItem } from './transcript';

/** Items sent when a conversation opens: more than a tall view shows. */
export const FIRST_PAGE = 40;
/** Items sent for each `loadOlder`. */
export const OLDER_PAGE = 100;

export function transcriptMessage(items: readonly TranscriptItem[]): Extract<ToWebview, { type: 'transcript' }> {
  const start = Math.max(0, items.length - FIRST_PAGE);
  return { type: 'transcript', items: items.slice(start), olderCount: start };
}

/** The page before `beforeId`, or undefined when that item is not in this conversation (it was switched). */
export function olderItemsMessage(items: readonly TranscriptItem[], beforeId: string): Extract<ToWebview, { type: 'olderItems' }> | undefined {
  const end = items.findIndex((item) => item.id === beforeId);
  if (end < 0) return undefined;
  const start = Math.max(0, end - OLDER_PAGE);
  return { type: 'olderItems', beforeId, items: items.slice(start, end), olderCount: start };
}
