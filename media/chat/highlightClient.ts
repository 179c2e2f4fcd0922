import type { HighlightAnswer, HighlightRequest } from './highlightWorker';

// The page's side of the highlight worker. The worker's code is the build's text of
// highlightWorker.ts (scripts/build.mjs defines it); the page's CSP allows workers from blob: only.
declare const __HIGHLIGHT_WORKER__: string | undefined;

type Done = (html: string | undefined) => void;
let worker: Worker | null | undefined;
let nextId = 0;
const waiting = new Map<number, Done>();

function startWorker(): Worker | null {
  if (typeof __HIGHLIGHT_WORKER__ !== 'string' || typeof Worker !== 'function') return null;
  try {
    const url = URL.createObjectURL(new Blob([__HIGHLIGHT_WORKER__], { type: 'text/javascript' }));
    const started = new Worker(url);
    started.onmessage = ({ data }: MessageEvent<HighlightAnswer>) => {
      const done = waiting.get(data.id);
      waiting.delete(data.id);
      done?.(data.html ?? undefined);
    };
    // A worker that fails (a CSP that refuses it, a crash) leaves every waiting block as plain text.
    started.onerror = () => {
      for (const done of waiting.values()) done(undefined);
      waiting.clear();
      worker = null;
    };
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
  return true;
}
