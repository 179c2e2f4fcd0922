import type { ContentBlockParam, ImageBlockParam, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';

/** What a provider without the block's kind is told in its place. */
export const IMAGE_LEFT_OUT = '[An image was here; this model does not take images, so it was left out.]';

/** A base64 image as a data: URL, or undefined for images stored another way (URL or file sources are not sent). */
export function imageDataUrl(block: ImageBlockParam): string | undefined {
  return block.source.type === 'base64' ? `data:${block.source.media_type};base64,${block.source.data}` : undefined;
}

/** A block no other provider has (documents, server tools) as text, so the conversation still reads in order. */
export function blockAsText(block: ContentBlockParam): string | undefined {
  if (block.type === 'text') return block.text;
  if (block.type === 'document') return block.source.type === 'text' ? block.source.data : '[A document was attached here; this provider cannot read it.]';
  if (block.type === 'thinking' || block.type === 'redacted_thinking') return undefined;
  if (block.type === 'image') return IMAGE_LEFT_OUT;
  return undefined;
}

/** A tool result's text and images, apart: providers send results as text and images separately. */
export function toolResultParts(block: ToolResultBlockParam): { text: string; images: ImageBlockParam[] } {
  const content = block.content ?? '';
  if (typeof content === 'string') return { text: withError(content, block.is_error), images: [] };
  const texts: string[] = [];
  const images: ImageBlockParam[] = [];
  for (const part of content) {
    if (part.type === 'image') images.push(part);
    else if (part.type === 'text') texts.push(part.text);
  }
  return { text: withError(texts.join('\n'), block.is_error), images };
}

// The Messages API marks a failed call with is_error; the others have no such flag, so it is said in the text.
function withError(text: string, isError: boolean | undefined): string {
  return isError ? `Error: ${text}` : text;
}
