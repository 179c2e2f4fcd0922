import type { ChatCompletionContentPart, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { MessagesRequest } from '../modelProvider';
import { blockAsText, IMAGE_LEFT_OUT, imageDataUrl, toolResultParts } from '../contentText';

/**
 * A Messages API request as a Chat Completions one: the system prompt as the system message,
 * tool_use blocks as the assistant's tool_calls, each tool_result as a `tool` message right after
 * them (the API refuses anything in between), and images (user attachments, plots from tools) as
 * image_url parts of a user message, or a sentence saying one was left out when `images` is false.
 * cache_control and thinking have no counterpart and are dropped.
 */
export function chatCompletionsRequest(request: MessagesRequest, options: { images: boolean }): ChatCompletionCreateParamsStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  const system = request.system.map((b) => b.text).join('\n\n');
  if (system) messages.push({ role: 'system', content: system });
  for (const message of request.messages) {
    if (message.role === 'assistant') {
      const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      const toolCalls = message.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, type: 'function' as const, function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }] : []));
      if (!text && toolCalls.length === 0) continue;
      messages.push({ role: 'assistant', content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) });
      continue;
    }
    // A user turn: its tool results first (they answer the previous assistant turn), then what the user said or showed.
    const parts: ChatCompletionContentPart[] = [];
    const addImage = (url: string | undefined): void => {
      if (url && options.images) parts.push({ type: 'image_url', image_url: { url } });
      else parts.push({ type: 'text', text: IMAGE_LEFT_OUT });
    };
    for (const block of message.content) {
      if (block.type === 'tool_result') {
        const { text, images } = toolResultParts(block);
        messages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: text || '(no output)' });
        if (images.length > 0) {
          parts.push({ type: 'text', text: `The ${images.length === 1 ? 'image' : `${images.length} images`} returned by tool call ${block.tool_use_id}:` });
          for (const image of images) addImage(imageDataUrl(image));
        }
      } else if (block.type === 'image') addImage(imageDataUrl(block));
      else {
        const text = blockAsText(block);
        if (text) parts.push({ type: 'text', text });
      }
    }
    if (parts.length === 0) continue;
    // Plain text as a string: servers that take no content parts (older vLLM and llama.cpp builds) read it too.
    const content = parts.every((p) => p.type === 'text') ? parts.map((p) => (p as { text: string }).text).join('\n\n') : parts;
    messages.push({ role: 'user', content });
  }
  // Name, description and schema only: the Anthropic-only cache marker on a tool is not part of a function definition.
  const tools: ChatCompletionTool[] = (request.tools ?? []).map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.input_schema } }));
  return {
    model: request.model,
    messages,
    max_tokens: request.max_tokens,
    stream: true,
    // The token counts come in one last chunk (no choices) only when asked for.
    stream_options: { include_usage: true },
    ...(tools.length > 0 ? { tools } : {}),
  };
}

/** Whether the request carries an image the model would be sent. */
export function hasImages(request: MessagesRequest): boolean {
  return request.messages.some((m) => m.content.some((b) => b.type === 'image' || (b.type === 'tool_result' && Array.isArray(b.content) && b.content.some((c) => c.type === 'image'))));
}
