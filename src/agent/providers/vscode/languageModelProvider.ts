import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { ModelProvider } from '../modelProvider';
import { describeLanguageModelError } from '../languageModelErrors';
import { languageModelTurns, turnsText, type Turn } from '../languageModelTurns';
import { streamEvents } from '../streamEvents';

/** Said in the consent prompt VS Code shows the first time the extension uses a model. */
const JUSTIFICATION = "ML Engineer's chat answers with the model you pick and calls its ML tools (files, runs, kernels, GPUs).";

/**
 * VS Code's Language Model API as a ModelProvider: the models of the user's Copilot subscription
 * (or any extension's), no key. A model is chosen by id, or the first one VS Code offers, or the
 * one given (the Chat view's pick, for @ml). No caching or thinking; no price, so the cost is
 * unknown; the API reports no usage, so tokens are counted with the model's own counter.
 */
export function languageModelProvider(options: { readonly model?: vscode.LanguageModelChat } = {}): ModelProvider {
  let lastModel = options.model?.id ?? '';
  const pick = async (id: string): Promise<vscode.LanguageModelChat> => {
    if (options.model) return options.model;
    const models = await vscode.lm.selectChatModels(id ? { id } : undefined);
    const model = models[0];
    if (!model) {
      const any = await vscode.lm.selectChatModels();
      throw Object.assign(new Error(any.length === 0 ? 'No language model is available in VS Code: sign in to GitHub Copilot, or install an extension that provides models.' : `model ${id} not found; available: ${any.map((m) => m.id).join(', ')}`), { code: 'NotFound' });
    }
    return model;
  };
  return {
    kind: 'vscode-lm',
    capabilities: { promptCaching: false, thinking: false },
    async *stream(request, signal): AsyncGenerator<RawMessageStreamEvent> {
      const model = await pick(request.model);
      lastModel = model.id;
      const cancellation = new vscode.CancellationTokenSource();
      const onAbort = (): void => cancellation.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const turns = languageModelTurns(request);
        const tools = (request.tools ?? []).map((t) => ({ name: t.name, description: t.description, inputSchema: t.input_schema }));
        const response = await model.sendRequest(turns.map(toChatMessage), { justification: JUSTIFICATION, tools, toolMode: vscode.LanguageModelChatToolMode.Auto }, cancellation.token);
        yield streamEvents.messageStart(`lm_${randomUUID()}`, model.id);
        let index = 0;
        let textOpen = false;
        let output = '';
        let calls = 0;
        for await (const part of response.stream) {
          if (part instanceof vscode.LanguageModelTextPart) {
            if (!part.value) continue;
            if (!textOpen) yield streamEvents.textStart(index);
            textOpen = true;
            output += part.value;
            yield streamEvents.textDelta(index, part.value);
          } else if (part instanceof vscode.LanguageModelToolCallPart) {
            if (textOpen) yield streamEvents.blockStop(index++);
            textOpen = false;
            calls++;
            const json = JSON.stringify(part.input ?? {});
            output += json;
            yield streamEvents.toolUseStart(index, part.callId, part.name);
            yield streamEvents.inputJsonDelta(index, json);
            yield streamEvents.blockStop(index++);
          }
        }
        if (textOpen) yield streamEvents.blockStop(index);
        const [input, out] = await Promise.all([countTokens(model, turnsText(turns), cancellation.token), countTokens(model, output, cancellation.token)]);
        yield streamEvents.messageDelta(calls > 0 ? 'tool_use' : 'end_turn', { input_tokens: input, output_tokens: out });
        yield streamEvents.messageStop();
      } finally {
        signal.removeEventListener('abort', onAbort);
        cancellation.dispose();
      }
    },
    async listModels() {
      if (options.model) return [options.model.id];
      return (await vscode.lm.selectChatModels()).map((m) => m.id);
    },
    endpoint: () => `VS Code Language Model API (${lastModel || 'no model yet'})`,
    describeError: (error) => describeLanguageModelError(error, lastModel || 'the model'),
    priceOf: () => undefined,
  };
}

function toChatMessage(turn: Turn): vscode.LanguageModelChatMessage {
  const parts = turn.parts.map((p) => {
    if (p.kind === 'text') return new vscode.LanguageModelTextPart(p.text);
    if (p.kind === 'toolCall') return new vscode.LanguageModelToolCallPart(p.callId, p.name, p.input);
    return new vscode.LanguageModelToolResultPart(p.callId, [new vscode.LanguageModelTextPart(p.text)]);
  });
  return turn.role === 'user' ? vscode.LanguageModelChatMessage.User(parts as (vscode.LanguageModelTextPart | vscode.LanguageModelToolResultPart)[]) : vscode.LanguageModelChatMessage.Assistant(parts as (vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart)[]);
}

/** The model's own count; 0 when it cannot count (the meter then shows nothing for this request). */
async function countTokens(model: vscode.LanguageModelChat, text: string, token: vscode.CancellationToken): Promise<number> {
  if (!text) return 0;
  try {
    return await model.countTokens(text, token);
  } catch {
    return 0;
  }
}
