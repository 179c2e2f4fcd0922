import assert from 'node:assert/strict';
import type { AgentEvent } from '../../src/agent/agentEvents';
import type { ScriptedReply } from '../support/fakeMessagesApi';
import { startHarness, textOf, type Harness } from './agentHarness';

const text = (t: string): ScriptedReply => ({ kind: 'message', blocks: [{ type: 'text', text: t }], usage: { input_tokens: 1500, output_tokens: 10, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } });
const usages = (events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'usage' }>[] => events.filter((e): e is Extract<AgentEvent, { type: 'usage' }> => e.type === 'usage');

/** The session asks its provider what it can do: the same loop over a provider without caching, thinking or prices. */
describe('agent session over the provider interface', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('sends no cache breakpoints, no warm-up and no thinking to a provider without them, and says the cost is unknown', async () => {
    h = await startHarness(() => text('plain answer'), {
      settings: { thinking: true },
      systemPrompt: 'word '.repeat(3000),
      provider: (anthropic) => ({ ...anthropic, capabilities: { promptCaching: false, thinking: false }, priceOf: () => undefined }),
    });
    assert.equal(await h.session.warmCache(new AbortController().signal), false, 'no warm-up without caching');
    assert.equal(await h.session.send('hi', new AbortController().signal), 'end_turn');
    assert.equal(textOf(h.events), 'plain answer');
    const body = h.server.requests[0]!.body;
    assert.equal(JSON.stringify(body).includes('cache_control'), false, 'no cache_control anywhere');
    assert.equal(body.thinking, undefined);
    const [usage] = usages(h.events);
    assert.equal(usage?.costUnknown, true);
    assert.equal(usage?.costUsd, 0);
    assert.equal(h.session.totals.costUnknown, true);
  });

  it('the Anthropic provider keeps caching, thinking and its prices', async () => {
    h = await startHarness(() => text('cached answer'), { settings: { thinking: true } });
    await h.session.send('hi', new AbortController().signal);
    const body = h.server.requests[0]!.body;
    assert.ok(JSON.stringify(body).includes('cache_control'));
    assert.deepEqual(body.thinking?.type, 'adaptive');
    const [usage] = usages(h.events);
    assert.equal(usage?.costUnknown, undefined);
    assert.ok(usage!.costUsd > 0);
    assert.equal(h.session.totals.costUnknown, undefined);
  });
});
