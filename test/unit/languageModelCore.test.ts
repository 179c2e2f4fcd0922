import assert from 'node:assert/strict';
import { describeLanguageModelError } from '../../src/agent/providers/languageModelErrors';
import { languageModelTurns } from '../../src/agent/providers/languageModelTurns';
import { IMAGE_LEFT_OUT } from '../../src/agent/providers/contentText';

describe("VS Code Language Model API provider's core", () => {
  it('turns a Messages request into user/assistant turns: instructions first, tool calls and results as parts, images said', () => {
    const turns = languageModelTurns({
      model: 'gpt-4.1',
      max_tokens: 100,
      system: [{ type: 'text', text: 'You are the ML engineer.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'plot it' }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 's' }, { type: 'text', text: 'Plotting.' }, { type: 'tool_use', id: 'c1', name: 'show_plot', input: { run: 'a' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', is_error: true, content: [{ type: 'text', text: 'no such run' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] }] },
      ],
    });
    assert.deepEqual(turns, [
      { role: 'user', parts: [{ kind: 'text', text: '<instructions>\nYou are the ML engineer.\n</instructions>' }] },
      { role: 'user', parts: [{ kind: 'text', text: 'plot it' }] },
      { role: 'assistant', parts: [{ kind: 'text', text: 'Plotting.' }, { kind: 'toolCall', callId: 'c1', name: 'show_plot', input: { run: 'a' } }] },
      { role: 'user', parts: [{ kind: 'toolResult', callId: 'c1', text: `Error: no such run\n${IMAGE_LEFT_OUT}` }] },
    ]);
  });

  it('explains consent, model_not_supported, quota and rate limits in words', () => {
    const cases: [unknown, RegExp, boolean][] = [
      [Object.assign(new Error('Access denied'), { code: 'NoPermissions', name: 'LanguageModelError' }), /consent was declined.*Manage Language Model Access/, false],
      [new Error('Request Failed: 400 {"error":{"message":"The requested model is not supported.","code":"model_not_supported"}}'), /not available on your Copilot plan \(model_not_supported\)/, false],
      [new Error("You've exceeded your premium request allowance. quota_exceeded"), /Copilot quota for gpt-4\.1 is used up/, false],
      [new Error('Sorry, you have been rate-limited. Please wait a moment before trying again.'), /rate-limited the request to gpt-4\.1/, true],
      [Object.assign(new Error('blocked'), { code: 'Blocked' }), /too many requests from this extension/, true],
      [Object.assign(new Error('model gone'), { code: 'NotFound' }), /not available any more/, false],
    ];
    for (const [error, expected, retryable] of cases) {
      const described = describeLanguageModelError(error, 'gpt-4.1');
      assert.match(described.message, expected);
      assert.equal(described.retryable, retryable, described.message);
      assert.equal(described.sdkRetried, false);
    }
  });
});
