import type { Token, Tokens } from 'marked';
import { languageOf, type CodeBlock } from '../../src/chat/codeBlocks';
import { element } from '../common/dom';
import { lexMarkdown, renderTokens, type Links } from './markdown';

/** Draws a code block: `final` once it can no longer change (highlighted, with its actions). */
export type DrawCode = (block: CodeBlock, final: boolean) => HTMLElement;

/**
 * One message's Markdown, drawn incrementally while it streams. Markdown blocks close in order:
 * once a later block has begun, an earlier one cannot change, so it is drawn once (final, with
 * highlighting and code actions) and kept as it is. Each delta lexes and draws only the text
 * after the closed blocks: the last, still open block. `finish` checks the result against a
 * lexing of the whole message and draws it all again only where they differ (a reference link
 * defined after its use, say).
 */
export class MarkdownView {
  readonly element = element('div', { className: 'bubble markdown' });
  /** The message text drawn so far, line endings normalised as marked does. */
  private source = '';
  /** How much of `source` the closed blocks hold, their raw text, and the DOM nodes they made. */
  private closedLength = 0;
  private closedRaws: string[] = [];
  private closedNodes = 0;
  private links: Links = Object.create(null) as Links;
  private finished = false;

  constructor(private readonly drawCode: DrawCode) {}

  /** While the message streams in. */
  stream(text: string): void {
    const source = normalise(text);
    if (this.finished || source.length < this.source.length) this.reset();
    this.source = source;
    const tail = source.slice(this.closedLength);
    const tokens = lexMarkdown(tail, this.links);
    // Every block before the last one that has text is closed.
    let open = 0;
    for (let i = tokens.length - 1; i >= 0; i--) {
      if (tokens[i]!.type !== 'space') {
        open = i;
        break;
      }
    }
    const closed = tokens.slice(0, open);
    const closedText = closed.map((t) => t.raw).join('');
    this.removeOpenNodes();
    // A block's raw text is the source it came from; if marked ever rewrote it, keep all open.
    if (closed.length > 0 && tail.startsWith(closedText)) {
      this.element.append(renderTokens(closed, (block) => this.drawCode(block, true)));
      this.closedNodes = this.element.childNodes.length;
      this.closedLength += closedText.length;
      for (const token of closed) {
        this.closedRaws.push(token.raw);
        const def = token as Tokens.Def;
        if (def.type === 'def' && !(def.tag in this.links)) this.links[def.tag] = { href: def.href, title: def.title };
      }
      this.element.append(this.drawOpen(tokens.slice(open)));
    } else {
      this.element.append(this.drawOpen(tokens));
    }
  }

  /** The whole message, final. */
  finish(text: string): void {
    const source = normalise(text);
    const tokens = lexMarkdown(source);
    const keepClosed =
      !this.finished &&
      this.closedRaws.length > 0 &&
      Object.keys(tokens.links).length === 0 &&
      this.closedRaws.every((raw, i) => tokens[i]?.raw === raw);
    if (keepClosed) {
      this.removeOpenNodes();
      this.element.append(renderTokens(tokens.slice(this.closedRaws.length), (block) => this.drawCode(block, true)));
    } else {
      this.element.replaceChildren(renderTokens(tokens, (block) => this.drawCode(block, true)));
    }
    this.source = source;
    this.finished = true;
  }

  private drawOpen(tokens: readonly Token[]): Node {
    // A code block being written (the common long case) needs neither Markdown nor sanitising.
    const content = tokens.filter((t) => t.type !== 'space');
    if (content.length === 1 && content[0]!.type === 'code') {
      const code = content[0] as Tokens.Code;
      return this.drawCode({ language: languageOf(code.lang), code: code.text }, false);
    }
    return renderTokens(tokens, (block) => this.drawCode(block, false));
  }

  private removeOpenNodes(): void {
    while (this.element.childNodes.length > this.closedNodes) this.element.lastChild!.remove();
  }

  private reset(): void {
    this.element.replaceChildren();
    this.source = '';
    this.closedLength = 0;
    this.closedRaws = [];
    this.closedNodes = 0;
    this.links = Object.create(null) as Links;
    this.finished = false;
  }
}

function normalise(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}
