import assert from 'node:assert/strict';
import { validateApiKeyInput } from '../../src/agent/apiKeyFormat';

describe('API key input check', () => {
  it('accepts Anthropic keys and gateway keys', () => {
    assert.equal(validateApiKeyInput('sk-ant-api03-' + 'a'.repeat(80)), undefined);
    assert.equal(validateApiKeyInput('  gw_0123456789abcdefghijkl  '), undefined);
  });

  it('refuses what is surely not a key, saying why', () => {
    assert.match(validateApiKeyInput('') ?? '', /Paste/);
    assert.match(validateApiKeyInput('sk-ant abc def ghi jkl mno') ?? '', /spaces/);
    assert.match(validateApiKeyInput('short') ?? '', /too short/);
    assert.match(validateApiKeyInput('ANTHROPIC_API_KEY=sk-ant-0123456789abcdef') ?? '', /only the key/);
  });
});
