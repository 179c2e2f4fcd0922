import { highlightHtml } from './highlighter';

// The chat's highlight worker: a long code block is highlighted here, off the page's thread, so a
// streamed delta never waits for it. Built on its own and handed to the page as text
// (scripts/build.mjs): a webview can start a worker from a blob: URL only.
export interface HighlightRequest {
  readonly id: number;
  readonly code: string;
  readonly language: string;
}
export interface HighlightAnswer {
  readonly id: number;
  readonly html: string | null;
}

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<HighlightRequest>) => void) | null; postMessage(answer: HighlightAnswer): void };
scope.onmessage = ({ data }) => {
  let html: string | null = null;
  try {
    html = highlightHtml(data.code, data.language) ?? null;
  } catch {
    // A grammar that throws leaves the block as plain text.
  }
  scope.postMessage({ id: data.id, html });
};
