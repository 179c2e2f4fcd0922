import * as vscode from 'vscode';
import { createNonce, renderWebviewHtml } from '../webviewHtml';

/**
 * Points a webview at its bundle `dist/webview/<name>.js` (+ `.css`) and the shared
 * `media/common/base.css`, with scripts on and local resources limited to those folders.
 */
export function setWebviewContent(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  name: string,
  title: string,
  initialState?: unknown,
  options: { blobWorkers?: boolean } = {},
): void {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const common = vscode.Uri.joinPath(extensionUri, 'media', 'common');
  webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist, common] };
  webview.html = renderWebviewHtml({
    title,
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, `${name}.js`)).toString(),
    styleUris: [
      webview.asWebviewUri(vscode.Uri.joinPath(common, 'base.css')).toString(),
      webview.asWebviewUri(vscode.Uri.joinPath(dist, `${name}.css`)).toString(),
    ],
    ...(initialState === undefined ? {} : { initialState }),
    ...(options.blobWorkers ? { blobWorkers: true } : {}),
  });
}
