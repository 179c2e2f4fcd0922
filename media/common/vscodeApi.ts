// The webview side of the message channel. acquireVsCodeApi may be called once per page.
declare function acquireVsCodeApi(): { postMessage(message: unknown): void; getState(): unknown; setState(state: unknown): void };

const api = acquireVsCodeApi();

export function postToHost<T>(message: T): void {
  api.postMessage(message);
}

export function onHostMessage<T>(handler: (message: T) => void): void {
  window.addEventListener('message', (event: MessageEvent<T>) => handler(event.data));
}

// Kept here too for the views that import it from this module.
export { element } from './dom';
