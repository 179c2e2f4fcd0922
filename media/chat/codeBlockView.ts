import type { CodeBlock } from '../../src/chat/codeBlocks';
import { element } from '../common/dom';
import { highlightInWorker } from './highlightClient';
import { highlightHtml } from './highlighter';
import { sanitizeHighlightHtml } from './sanitizer';

/**
 * Characters that change what code does without showing: controls, bidirectional overrides
 * (the "Trojan Source" trick), zero-width and filler characters, Unicode tag characters. They
 * stay in the code (it is copied as written) and are drawn as a visible badge. Global: used
 * only through matchAll, which works on a copy (a `test` on it would move its lastIndex).
 */
// eslint-disable-next-line no-control-regex, no-misleading-character-class -- these characters are what is looked for
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|[\u{E0000}-\u{E007F}]/gu;
// eslint-disable-next-line no-misleading-character-class -- as above
const HAS_INVISIBLE = new RegExp(INVISIBLE.source, 'u');

/**
 * A code block drawn from its token: the code as text (highlighted once the block is closed, in
 * the highlight worker, not on every streamed delta), and `actions` above it once it is final.
 */
export function drawCodeBlock(block: CodeBlock, options: { highlight: boolean; actions?: (block: CodeBlock) => HTMLElement }): HTMLElement {
  const code = element('code', { className: 'hljs' });
  code.textContent = block.code;
  markInvisibleCharacters(code);
  const language = block.language;
  if (options.highlight && language) {
    // The worker's HTML replaces the plain text when it comes: the same characters, coloured.
    // data-highlighted says where (the e2e checks that the webview's CSP lets the worker start).
    const colour = (where: 'worker' | 'page') => (html: string | undefined): void => {
      if (html === undefined) return;
      code.replaceChildren(sanitizeHighlightHtml(html));
      markInvisibleCharacters(code);
      code.dataset.highlighted = where;
    };
    if (!highlightInWorker(block.code, language, colour('worker'))) colour('page')(highlightHtml(block.code, language));
  }
  const pre = element('pre', { attrs: { 'data-language': block.language } }, [code]);
  return element('div', { className: 'code-block' }, options.actions ? [options.actions(block), pre] : [pre]);
}

/** Wraps each invisible character under `root` in a badge that names it (the character itself stays). */
export function markInvisibleCharacters(root: HTMLElement): void {
  if (!HAS_INVISIBLE.test(root.textContent ?? '')) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  while (walker.nextNode()) texts.push(walker.currentNode as Text);
  for (const text of texts) {
    const parts: Node[] = [];
    let last = 0;
    for (const match of text.data.matchAll(INVISIBLE)) {
      if (match.index > last) parts.push(document.createTextNode(text.data.slice(last, match.index)));
      parts.push(badge(match[0]));
      last = match.index + match[0].length;
    }
    if (parts.length === 0) continue;
    if (last < text.data.length) parts.push(document.createTextNode(text.data.slice(last)));
    text.replaceWith(...parts);
  }
}

function badge(character: string): HTMLElement {
  const name = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return element('span', {
    className: 'invisible-char',
    text: character,
    attrs: { 'data-char': name, title: `Invisible character ${name}: it is part of this code` },
  });
}
