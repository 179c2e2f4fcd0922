// Entry of dist/lazy/markdown.js: marked's tokenizer for the host, required the first time a
// code block's Copy / Insert / Run is clicked, so it never weighs on activation.
import { Marked, type TokensList } from 'marked';
import { MARKDOWN_OPTIONS } from '../codeBlocks';

export { findCodeBlock, KERNEL_LANGUAGES } from '../codeBlocks';

const marked = new Marked(MARKDOWN_OPTIONS);

export function lexMarkdown(markdown: string): TokensList {
  return marked.lexer(markdown);
}
