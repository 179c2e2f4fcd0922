import type { ContentBlockParam } from '@anthropic-ai/sdk/resources/messages';

/** A conversation message as we store and send it: always a list of content blocks. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentBlockParam[];
}
