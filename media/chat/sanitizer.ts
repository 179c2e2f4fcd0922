import DOMPurify from 'dompurify';

/**
 * What of a model's HTML survives: the tags Markdown produces and the harmless inline ones
 * models write by hand, and no attribute that can hide, restyle or script anything (no
 * `style`, `class`, `id`, `hidden`, `aria-hidden`, `dir`, `popover`, `data-*`, handlers).
 * `<details>`/`<summary>` go with their content shown; `<style>`, `<script>`, `<svg>`,
 * `<math>`, `<template>` go with their content; comments go. Links keep http(s) targets only
 * (the host opens them, and only those). An allowlist: anything new in HTML is out by default.
 */
const TAGS = ['a', 'b', 'blockquote', 'br', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'kbd', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'];
const ATTRS = ['href', 'title', 'align', 'start'];

/** Marks the places where code blocks go; only our own renderer knows the nonce that makes one count. */
export const CODE_SLOT = 'data-mle-code';

const nonceBytes = new Uint8Array(16);
crypto.getRandomValues(nonceBytes);
const nonce = Array.from(nonceBytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The placeholder our Markdown renderer writes for code block `index`; filled after sanitising. */
export function codeSlot(index: number): string {
  return `<pre ${CODE_SLOT}="${nonce}:${index}"></pre>`;
}

/** The block index of a placeholder our renderer wrote, or undefined for anything else (a model's imitation). */
export function codeSlotIndex(element: Element): number | undefined {
  const value = element.getAttribute(CODE_SLOT) ?? '';
  const match = /^([0-9a-f]{32}):(\d{1,6})$/.exec(value);
  return match && match[1] === nonce ? Number(match[2]) : undefined;
}

const markdownPurifier = DOMPurify(window);
markdownPurifier.setConfig({
  ALLOWED_TAGS: TAGS,
  ALLOWED_ATTR: ATTRS,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^https?:/i,
  RETURN_DOM_FRAGMENT: true,
});
markdownPurifier.addHook('uponSanitizeAttribute', (node, data) => {
  // Our code placeholders keep their attribute; any other data-* (a model's copy of ours) goes.
  if (data.attrName === CODE_SLOT && node.nodeName === 'PRE' && codeSlotIndex(node) !== undefined) data.forceKeepAttr = true;
});

/** Rendered Markdown (which may hold a model's raw HTML) as a sanitised fragment of this document. */
export function sanitizeMarkdownHtml(html: string): DocumentFragment {
  return markdownPurifier.sanitize(html) as unknown as DocumentFragment;
}

const highlightPurifier = DOMPurify(window);
highlightPurifier.setConfig({ ALLOWED_TAGS: ['span'], ALLOWED_ATTR: ['class'], RETURN_DOM_FRAGMENT: true });

/** highlight.js output (escaped code in class-only spans), checked all the same. */
export function sanitizeHighlightHtml(html: string): DocumentFragment {
  return highlightPurifier.sanitize(html) as unknown as DocumentFragment;
}
