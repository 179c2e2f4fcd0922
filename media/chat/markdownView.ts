import type { Token, Tokens } from 'marked';
import { languageOf, type CodeBlock } from '../../src/chat/codeBlocks';
import { element } from '../common/dom';
import { lexMarkdown, renderTokens, type Links } from './markdown';

/** Draws a code block: `final` once it can no longer change (highlighted, with its actions). */
export type DrawCode = (block: CodeBlock, final: boolean) => HTMLElement;

/**
 * Text a delta may hold to be appended to the drawn text as it is: letters, digits, spaces and
 * punctuation that means nothing in Markdown inline or mid-line. No newline (it can start or end
 * a block), nothing that opens or closes inline syntax, entities or escapes (`* _ ~ \` [ ] ( ) <
 * > & \ # |`), nothing that can make or extend an autolink (`. : / @`), no control or invisible
 * characters.
 */
const PLAIN_DELTA = /^[\p{L}\p{N} ,'"?!%$+=-]+$/u;
/** The last character before the delta must be one of these (after a `.` or `,`, letters can extend an autolink). */
const PLAIN_END = /[\p{L}\p{N}]/u;
/** Elements an open block's last text may sit in, and those it may be the last child of. */
const BLOCK_CONTAINERS = new Set(['P', 'UL', 'OL', 'LI', 'BLOCKQUOTE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6']);
const TEXT_PARENTS = new Set(['P', 'LI', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6']);

/** The text node that ends the open block, where a plain delta is appended without drawing the block again. */
interface PlainTail {
  readonly text: Text;
  /** Its element drops trailing spaces (a list item or heading, not a paragraph): spaces wait for the next word. */
  readonly trims: boolean;
  spaces: string;
}

/**
 * One message's Markdown, drawn incrementally while it streams. Markdown blocks close in order:
 * once a later block has begun, an earlier one cannot change, so it is drawn once (final, with
 * highlighting and code actions) and kept as it is. Each delta lexes and draws only the text
 * after the closed blocks: the last, still open block; and a delta of plain words that goes on
 * the open block's last line is appended to its text as it is (no lexing, no sanitising: the
 * common case, at a cost that does not grow with the message). `finish` checks the result
 * against a lexing of the whole message and draws it all again only where they differ (a
 * reference link defined after its use, say).
 */
/** Blocks no later line can continue: a fenced or indented code block, a heading, a rule, a blank line. */
const ENDS_WHERE_IT_ENDS = new Set(['code', 'heading', 'hr', 'space']);

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
  private tail: PlainTail | undefined;

  constructor(private readonly drawCode: DrawCode) {}

  /** While the message streams in. */
  stream(text: string): void {
    const source = normalise(text);
    if (this.finished || source.length < this.source.length) this.reset();
    else if (this.tail && this.appendPlain(source)) return;
    this.source = source;
    this.tail = undefined;
    const tail = source.slice(this.closedLength);
    const tokens = lexMarkdown(tail, this.links);
    // Every block before the last one that has text is closed, but for the one right before it
    // when no blank line parts them and it can take more lines (a list item's or a quote's lazy
    // line, a table row): the open line may yet turn out to continue it (`- done\n*`, then `**`).
    let open = 0;
    for (let i = tokens.length - 1; i >= 0; i--) {
      if (tokens[i]!.type !== 'space') {
        open = i;
        break;
      }
    }
    if (open > 0 && !ENDS_WHERE_IT_ENDS.has(tokens[open - 1]!.type)) open--;
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
    this.tail = this.plainTail(source);
  }

  /** Appends a plain delta to the open block's last text, as drawing the block again would show it; false when it cannot. */
  private appendPlain(source: string): boolean {
    const added = source.slice(this.source.length);
    if (added !== '' && !PLAIN_DELTA.test(added)) return false;
    // Lexed instead (both found by the streaming properties): a line of marks and spaces alone can
    // turn the lines above it into a table or a heading (`| --- | -`); the first word after an
    // empty list marker makes an item that can end a paragraph (`text\n1. ` then `n`).
    if (added !== '') {
      const line = source.slice(source.lastIndexOf('\n') + 1);
      if (!/[\p{L}\p{N}]/u.test(line) || /^\s*(?:[-+*]|\d+[.)])?\s*$/.test(line.slice(0, line.length - added.length))) return false;
    }
    const tail = this.tail!;
    if (tail.trims) {
      const all = tail.spaces + added;
      const words = all.trimEnd();
      if (words) tail.text.appendData(words);
      tail.spaces = all.slice(words.length);
    } else if (added) {
      tail.text.appendData(added);
    }
    this.source = source;
    return true;
  }

  /**
   * After the open block was drawn: the text node it ends with, when that text ends as the
   * source does (so what follows in the source follows it on screen), else undefined.
   */
  private plainTail(source: string): PlainTail | undefined {
    // The open block: one element (marked puts a newline text after each block).
    // A tag name being typed at the end of the line: more letters can make the line an HTML block
    // (`<d` is text, `<details` starts a block that is drawn as nothing), so the next delta is lexed.
    if (/<\/?[A-Za-z][A-Za-z0-9-]*$/.test(source.slice(source.lastIndexOf('\n') + 1))) return undefined;
    const open = Array.from(this.element.childNodes).slice(this.closedNodes).filter((n) => !(n.nodeType === 3 && !n.textContent!.trim()));
    if (open.length !== 1) return undefined;
    let node: ChildNode | null = open[0]!;
    while (node?.nodeType === 1 && BLOCK_CONTAINERS.has((node as Element).tagName)) {
      node = node.lastChild;
      // Past the newline marked writes before a container's end tag.
      while (node?.nodeType === 3 && !node.textContent!.trim() && node.previousSibling) node = node.previousSibling;
    }
    const parent = node?.parentElement;
    if (node?.nodeType !== 3 || !parent || !TEXT_PARENTS.has(parent.tagName)) return undefined;
    const text = node as Text;
    let end = source.length;
    while (end > 0 && source.charCodeAt(end - 1) === 32) end--;
    const spaces = source.slice(end);
    const last = source[end - 1] ?? '';
    if (parent.tagName === 'P') {
      // A paragraph keeps its trailing spaces: after them anything may follow; else the last character must be plain.
      const ends = spaces ? text.data.endsWith(spaces) : PLAIN_END.test(last) && text.data.endsWith(last);
      return ends ? { text, trims: false, spaces: '' } : undefined;
    }
    return PLAIN_END.test(last) && text.data.endsWith(last) ? { text, trims: true, spaces } : undefined;
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
    this.tail = undefined;
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
    this.tail = undefined;
  }
}

function normalise(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}
