// Code blocks of a chat answer, read from its Markdown source by the same tokenizer (marked,
// with the same options) in the webview, which draws them, and in the extension host, which
// copies, inserts or runs them. The host never takes code from the webview: the webview names
// a block by its message and the SHA-256 of the code it drew, and the host finds that block in
// the Markdown it stored. No DOM or Node imports: both bundles use this file.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Token, Tokens } from 'marked';
import type { TranscriptItem } from './transcript';

/** marked's options on both sides; a difference would make the two disagree about where code is. */
export const MARKDOWN_OPTIONS = { gfm: true, breaks: false } as const;

export interface CodeBlock {
  /** The fence's language word, lower case ('' when none or not a plain name). */
  readonly language: string;
  readonly code: string;
}

export type CodeAction = 'copy' | 'insert' | 'insertCell' | 'runInKernel';

/** Languages "Run in kernel" accepts: the kernel runs Python. */
export const KERNEL_LANGUAGES: ReadonlySet<string> = new Set(['', 'python', 'py', 'ipython', 'python3']);

/** The code blocks (fenced or indented) among `tokens`, nested ones included, in document order. */
export function codeBlocksIn(tokens: readonly Token[]): CodeBlock[] {
  const found: CodeBlock[] = [];
  const visit = (list: readonly Token[]): void => {
    for (const token of list) {
      if (token.type === 'code') {
        const code = token as Tokens.Code;
        found.push({ language: languageOf(code.lang), code: code.text });
      } else if (token.type === 'list') {
        for (const item of (token as Tokens.List).items) visit(item.tokens);
      } else if ('tokens' in token && Array.isArray(token.tokens)) {
        visit(token.tokens);
      }
    }
  };
  visit(tokens);
  return found;
}

export function languageOf(info: string | undefined): string {
  const word = (info ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return /^[\w#+.-]{1,40}$/.test(word) ? word : '';
}

/** Names a block's code: SHA-256 (a model cannot write two blocks that share one), hex. */
export function codeDigest(code: string): string {
  return bytesToHex(sha256(utf8ToBytes(code)));
}

/**
 * The stored code block a webview click names: first in the item it was drawn in, then (the
 * webview may number items differently while it holds only part of a long conversation) in
 * any item, newest first. Assistant items are Markdown; a tool card's code is its own text.
 * `accept` narrows the match (Run in kernel takes Python blocks only).
 */
export function findCodeBlock(
  items: readonly TranscriptItem[],
  itemId: string,
  digest: string,
  lex: (markdown: string) => Token[],
  accept: (block: CodeBlock) => boolean = () => true,
): CodeBlock | undefined {
  const matches = (block: CodeBlock): boolean => codeDigest(block.code) === digest && accept(block);
  const inItem = (item: TranscriptItem): CodeBlock | undefined => {
    if (item.kind === 'tool') {
      const block = item.code === undefined ? undefined : { language: item.codeLanguage ?? 'python', code: item.code };
      return block && matches(block) ? block : undefined;
    }
    if (item.kind !== 'assistant') return undefined;
    return codeBlocksIn(lex(item.text)).find(matches);
  };
  const own = items.find((item) => item.id === itemId);
  const found = own && inItem(own);
  if (found) return found;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item === own) continue;
    const block = inItem(item);
    if (block) return block;
  }
  return undefined;
}
