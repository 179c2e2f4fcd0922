import type { HighlightAnswer, HighlightRequest } from './highlightWorker';

// The page's side of the highlight worker. The worker's code is the build's text of
// highlightWorker.ts (scripts/build.mjs defines it); the page's CSP allows workers from blob: only.
declare const __HIGHLIGHT_WORKER__: string | undefined;

/** A block not answered in this time leaves the worker stuck (a grammar looping on hostile text): it is replaced. */
const ANSWER_MS = 5_000;

type Done = (html: string | undefined) => void;
let worker: Worker | null | undefined;
let nextId = 0;
const waiting = new Map<number, Done>();
let watchdog: ReturnType<typeof setTimeout> | undefined;

/** Every waiting block stays plain text, and the next block starts a fresh worker. */
function dropWorker(failed: Worker): void {
  if (worker !== failed) return;
  failed.terminate();
  worker = undefined;
  for (const done of waiting.values()) done(undefined);
  waiting.clear();
  clearTimeout(watchdog);
  watchdog = undefined;
}

/** The worker answers in order: while any block waits, the oldest must be answered within ANSWER_MS. */
function watch(current: Worker): void {
  clearTimeout(watchdog);
  watchdog = waiting.size > 0 ? setTimeout(() => dropWorker(current), ANSWER_MS) : undefined;
}

function startWorker(): Worker | null {
  if (typeof __HIGHLIGHT_WORKER__ !== 'string' || typeof Worker !== 'function') return null;
  try {
    const url = URL.createObjectURL(new Blob([__HIGHLIGHT_WORKER__], { type: 'text/javascript' }));
    const started = new Worker(url);
    started.onmessage = ({ data }: MessageEvent<HighlightAnswer>) => {
      const done = waiting.get(data.id);
      waiting.delete(data.id);
      watch(started);
      done?.(data.html ?? undefined);
    };
    // A worker that fails (a CSP that refuses it, a crash) leaves every waiting block as plain text.
    started.onerror = () => dropWorker(started);
    return started;
  } catch {
    return null;
  }
}

/**
 * Highlights `code` off the page's thread and calls `done` with highlight.js's HTML (undefined
 * when it cannot). False where no worker can start (a page without Worker): the caller
 * highlights in place.
 */
export function highlightInWorker(code: string, language: string, done: Done): boolean {
  if (worker === undefined) worker = startWorker();
  if (!worker) return false;
  const id = nextId++;
  waiting.set(id, done);
  worker.postMessage({ id, code, language } satisfies HighlightRequest);
  if (waiting.size === 1) watch(worker);
  return true;
}
