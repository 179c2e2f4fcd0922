// The panels whose page only ever says "ready" (compare, model viewer, GPU charts) check that with
// this instead of trusting the message's declared type: a page is untrusted input, and a forged
// `null` or non-object would otherwise throw inside the listener.

/** Whether a message from a webview is exactly `{ type: 'ready' }` (extra keys ignored). */
export function isReadyMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && Object.hasOwn(message, 'type') && (message as { type: unknown }).type === 'ready';
}
