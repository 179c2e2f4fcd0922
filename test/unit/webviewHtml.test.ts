import assert from 'node:assert/strict';
import { contentSecurityPolicy, createNonce, renderWebviewHtml } from '../../src/webview/webviewHtml';

describe('webview HTML shell', () => {
  const page = {
    title: 'Chat <test>',
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.js',
    styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/common/base.css'],
    nonce: 'abc123',
  };

  it('has a strict CSP: scripts only by nonce, nothing remote, no inline styles or eval', () => {
    const csp = contentSecurityPolicy(page.cspSource, page.nonce);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|https?:\/\/(?!file\+)/);
  });

  it('lets only a page that asks start workers, and from blob: URLs only (the chat highlight worker)', () => {
    assert.doesNotMatch(contentSecurityPolicy(page.cspSource, page.nonce), /worker-src/);
    assert.match(renderWebviewHtml({ ...page, blobWorkers: true }), /script-src 'nonce-abc123'; worker-src blob:;/);
  });

  it('loads the script with the nonce and escapes what it is given', () => {
    const html = renderWebviewHtml({ ...page, initialState: { text: '"><script>alert(1)</script>' } });
    assert.match(html, /<script nonce="abc123" src="https:\/\/file\+\.vscode-resource[^"]*chat\.js"><\/script>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'only our script tag');
    assert.match(html, /<title>Chat &lt;test&gt;<\/title>/);
    assert.ok(!html.includes('<script>alert'), 'state was not escaped');
  });

  it('makes a fresh, unguessable nonce each time', () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    assert.equal(nonces.size, 100);
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9_-]{24}$/);
  });
});
