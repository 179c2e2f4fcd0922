import { Lexer, Marked, type Token, type Tokens, type TokensList } from 'marked';
import { MARKDOWN_OPTIONS, languageOf, type CodeBlock } from '../../src/chat/codeBlocks';
import { CODE_SLOT, codeSlot, codeSlotIndex, sanitizeMarkdownHtml } from './sanitizer';

export type Links = TokensList['links'];

/** The code blocks met while one `renderTokens` call renders HTML, by slot index. */
let slots: CodeBlock[] = [];

const marked = new Marked(MARKDOWN_OPTIONS, {
  renderer: {
    // Code blocks are drawn from their tokens as DOM (codeBlockView.ts), never from HTML: the
    // renderer leaves a placeholder only it can write, filled after sanitising.
    code(token) {
      slots.push({ language: languageOf(token.lang), code: token.text });
      return codeSlot(slots.length - 1);
    },
    // No images: nothing remote may load, and a picture could show code other than the code.
    image({ text }) {
      return escapeHtml(text);
    },
    checkbox({ checked }) {
      return checked ? '☑ ' : '☐ ';
    },
  },
});

/**
 * Block tokens of `source` (with their inline tokens). `links` are reference definitions met
 * earlier in the message, for text lexed on its own after them.
 */
export function lexMarkdown(source: string, links?: Links): TokensList {
  const lexer = new Lexer(marked.defaults);
  if (links) Object.assign(lexer.tokens.links, links);
  return lexer.lex(source);
}

/**
 * Tokens as sanitised DOM; each code block is the element `drawCode` makes of it. A block that
 * holds a model's raw HTML is sanitised on its own, so its tags cannot reach into the blocks
 * around it (an unclosed `<b>` or `<div>`); the HTML marked makes of the other blocks is balanced,
 * so runs of them go through the sanitiser together. Either way a block draws the same whatever
 * comes before or after it: what lets a streamed message keep its closed blocks (markdownView.ts).
 */
export function renderTokens(tokens: readonly Token[], drawCode: (block: CodeBlock) => HTMLElement): DocumentFragment {
  const out = document.createDocumentFragment();
  let run: Token[] = [];
  const flush = (): void => {
    if (run.length > 0) out.append(renderHtml(run, drawCode));
    run = [];
  };
  for (const token of tokens) {
    if (token.type === 'code') {
      flush();
      out.append(drawCode({ language: languageOf((token as Tokens.Code).lang), code: (token as Tokens.Code).text }));
    } else if (holdsHtml(token)) {
      flush();
      out.append(renderHtml([token], drawCode));
    } else {
      run.push(token);
    }
  }
  flush();
  return out;
}

function renderHtml(tokens: Token[], drawCode: (block: CodeBlock) => HTMLElement): DocumentFragment {
  slots = [];
  const html = marked.parser(tokens);
  const blocks = slots;
  slots = [];
  const fragment = sanitizeMarkdownHtml(html);
  for (const slot of Array.from(fragment.querySelectorAll(`pre[${CODE_SLOT}]`))) {
    const index = codeSlotIndex(slot);
    const block = index === undefined ? undefined : blocks[index];
    if (block) slot.replaceWith(drawCode(block));
    else slot.remove();
  }
  return fragment;
}

/** Whether a block has raw HTML in it, as a block of its own or inline. */
function holdsHtml(token: Token): boolean {
  let found = false;
  void marked.walkTokens([token], (t) => {
    if (t.type === 'html') found = true;
  });
  return found;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
