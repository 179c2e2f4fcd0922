import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  readonly title: string;
  /** `webview.cspSource`: the origin VS Code serves local resources from. */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUris: readonly string[];
  readonly nonce: string;
  /** Serialized state for the first paint, read by the script from a data attribute. */
  readonly initialState?: unknown;
  /** Lets the page start workers from blob: URLs (the chat's highlight worker; a webview can load no other). */
  readonly blobWorkers?: boolean;
}

export function createNonce(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * The HTML shell of every webview. The CSP allows our bundled script (by nonce) and
 * stylesheets from the extension only: no inline script, no eval, no remote content.
 * Images may come from the extension and data:/blob: URLs (model output renders as data).
 */
export function contentSecurityPolicy(cspSource: string, nonce: string, blobWorkers = false): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    ...(blobWorkers ? ['worker-src blob:'] : []),
    `style-src ${cspSource}`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function renderWebviewHtml(page: WebviewPage): string {
  const state = page.initialState === undefined ? '' : ` data-state="${escapeAttribute(JSON.stringify(page.initialState))}"`;
  const styles = page.styleUris.map((uri) => `<link rel="stylesheet" href="${escapeAttribute(uri)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(page.cspSource, page.nonce, page.blobWorkers))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>${escapeText(page.title)}</title>
  </head>
  <body>
    <div id="root"${state}></div>
    <script nonce="${escapeAttribute(page.nonce)}" src="${escapeAttribute(page.scriptUri)}"></script>
  </body>
</html>`;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
