import type { AgentEvent } from '../../src/agent/agentEvents';
import type { ChatViewState, FromWebview, ToWebview } from '../../src/chat/protocol';
import { applyAgentEvent, type TranscriptItem, type TranscriptTotals } from '../../src/chat/transcript';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';
import { drawItem, type ItemView } from './transcriptView';

const root = document.getElementById('root')!;
const send = (message: FromWebview): void => postToHost(message);

let state: ChatViewState | undefined;
/** The conversation's newest items, as far back as the view has drawn them; `olderCount` more are at the host. */
let items: TranscriptItem[] = [];
/** Items the host sent just before `items`, not drawn yet: they are drawn as the view scrolls near them. */
let undrawn: TranscriptItem[] = [];
let olderCount = 0;
const totals: TranscriptTotals = { costUsd: 0, contextTokens: 0 };

// ---- layout: header, transcript, composer ----
const providerSelect = element('select', { attrs: { 'aria-label': 'Provider', title: 'Who answers: Anthropic, an OpenAI-compatible endpoint, or your VS Code (Copilot) models' } });
providerSelect.addEventListener('change', () => send({ type: 'selectProvider', provider: providerSelect.value as ChatViewState['provider'] }));
const modelSelect = element('select', { attrs: { 'aria-label': 'Model', title: 'Model for this chat' } });
modelSelect.addEventListener('change', () => send({ type: 'selectModel', model: modelSelect.value }));
const meter = element('span', { className: 'meter', attrs: { 'aria-label': 'Cost and context' } });
const historyButton = element('button', { text: 'History', className: 'secondary', attrs: { title: 'Past conversations' } });
const newButton = element('button', { text: 'New chat', className: 'secondary' });
newButton.addEventListener('click', () => send({ type: 'newChat' }));
const historyList = element('div', { className: 'history', attrs: { hidden: '', role: 'list', 'aria-label': 'Past conversations' } });
historyButton.addEventListener('click', () => historyList.toggleAttribute('hidden'));
const header = element('div', { className: 'chat-header' }, [providerSelect, modelSelect, meter, element('span', { className: 'spacer' }), historyButton, newButton]);

const transcript = element('div', { className: 'transcript', attrs: { role: 'log', 'aria-live': 'polite' } });
const empty = element('div', { className: 'empty muted' }, [
  element('p', { text: 'Ask about your data, models and experiments. The agent reads the workspace, proposes edits for you to approve, and runs commands only when you allow it.' }),
  element('p', { text: 'Mention files with @path, or @selection for the code selected in the editor. Enter sends, Shift+Enter adds a line.' }),
]);

const input = element('textarea', { attrs: { rows: '3', placeholder: 'Ask the ML engineer…  (@ to mention a file)', 'aria-label': 'Message' } });
const sendButton = element('button', { text: 'Send' });
const stopButton = element('button', { text: 'Stop', className: 'secondary', attrs: { hidden: '' } });
const mentionMenu = element('div', { className: 'mentions', attrs: { hidden: '', role: 'listbox' } });
const composer = element('div', { className: 'composer' }, [mentionMenu, input, element('div', { className: 'composer-actions' }, [stopButton, sendButton])]);
sendButton.addEventListener('click', submit);
stopButton.addEventListener('click', () => send({ type: 'stop' }));

input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    if (!mentionMenu.hidden && mentionMenu.firstElementChild) {
      (mentionMenu.firstElementChild as HTMLElement).click();
      return;
    }
    submit();
  } else if (event.key === 'Escape') {
    mentionMenu.hidden = true;
  }
});
let composingSentAt = 0;
input.addEventListener('input', () => {
  // Tells the host the user is typing, at most every 30 s: it may warm the prompt cache meanwhile.
  if (input.value.trim() && state?.hasApiKey && !state.busy && Date.now() - composingSentAt > 30_000) {
    composingSentAt = Date.now();
    send({ type: 'composing' });
  }
  const query = currentMention();
  if (query === undefined) mentionMenu.hidden = true;
  else send({ type: 'mentionQuery', query });
});

function currentMention(): string | undefined {
  const before = input.value.slice(0, input.selectionStart);
  const match = /(?:^|\s)@([\w./-]*)$/.exec(before);
  return match ? match[1] : undefined;
}

function showMentions(query: string, found: string[]): void {
  if (currentMention() !== query) return;
  const options = ['selection', ...found].filter((p) => p.toLowerCase().includes(query.toLowerCase())).slice(0, 12);
  mentionMenu.replaceChildren(
    ...options.map((path) => {
      const option = element('div', { className: 'mention', text: path === 'selection' ? '@selection (editor selection)' : `@${path}`, attrs: { role: 'option' } });
      option.addEventListener('mousedown', (e) => e.preventDefault());
      option.addEventListener('click', () => {
        const start = input.selectionStart - query.length;
        input.value = `${input.value.slice(0, start)}${path} ${input.value.slice(input.selectionStart)}`;
        mentionMenu.hidden = true;
        input.focus();
      });
      return option;
    }),
  );
  mentionMenu.hidden = options.length === 0;
}

function submit(): void {
  const text = input.value.trim();
  if (!text || state?.busy || !state?.hasApiKey) return;
  send({ type: 'send', text });
  input.value = '';
  mentionMenu.hidden = true;
}

// ---- rendering ----
/** Where Anthropic API keys are made. */
const ANTHROPIC_KEYS_URL = 'https://console.anthropic.com/settings/keys';

function renderSetup(): void {
  const setKey = element('button', { text: 'Set Anthropic API Key' });
  setKey.addEventListener('click', () => send({ type: 'setApiKey' }));
  const check = element('button', { text: 'Check Environment', className: 'secondary' });
  check.addEventListener('click', () => send({ type: 'checkEnvironment' }));
  const useCopilot = element('button', { text: 'Use VS Code (Copilot) Models', className: 'secondary' });
  useCopilot.addEventListener('click', () => send({ type: 'selectProvider', provider: 'vscode-lm' }));
  const useLocal = element('button', { text: 'Use an OpenAI-Compatible Endpoint', className: 'secondary' });
  useLocal.addEventListener('click', () => send({ type: 'selectProvider', provider: 'openai-compatible' }));
  // Opened by the host (openExternal, which asks first), like links in answers.
  const keysPage = element('a', { text: 'console.anthropic.com', attrs: { href: ANTHROPIC_KEYS_URL } });
  keysPage.addEventListener('click', (event) => {
    event.preventDefault();
    send({ type: 'openLink', href: ANTHROPIC_KEYS_URL });
  });
  root.replaceChildren(
    element('section', { className: 'setup', attrs: { 'aria-label': 'Chat setup' } }, [
      element('h2', { text: 'Set up the ML Engineer agent' }),
      element('p', {}, [
        document.createTextNode('The agent talks to Claude with your Anthropic API key. Create one at '),
        keysPage,
        document.createTextNode(' (Settings → API Keys), then set it here.'),
      ]),
      element('p', { text: "The key is kept in VS Code's secret storage on this machine, never in settings, logs or this view." }),
      element('p', { className: 'no-key', text: 'Everything else works without a key: notebooks and kernels, experiments, the model viewer, Optimize, Export and Deploy, and GPUs.' }),
      element('p', { className: 'muted', text: 'Using a gateway or proxy? Set mlEngineer.anthropic.baseUrl in your user settings; requests go there instead.' }),
      element('div', { className: 'actions' }, [setKey, check]),
      element('p', { className: 'muted', text: 'No Anthropic key? The same agent runs on your GitHub Copilot models, or on a local server (Ollama, vLLM, LM Studio, LiteLLM; mlEngineer.openaiCompatible.baseUrl).' }),
      element('div', { className: 'actions' }, [useCopilot, useLocal]),
    ]),
  );
}

function renderChat(): void {
  if (root.contains(transcript)) return;
  root.replaceChildren(element('section', { className: 'chat', attrs: { 'aria-label': 'Chat' } }, [header, historyList, transcript, composer]));
  // The transcript may have arrived before the state that shows the chat.
  renderTranscript();
}

function renderState(): void {
  if (!state) return;
  if (!state.hasApiKey) return renderSetup();
  renderChat();
  providerSelect.replaceChildren(...state.providers.map((p) => element('option', { text: p.label, attrs: p.kind === state!.provider ? { value: p.kind, selected: '' } : { value: p.kind } })));
  modelSelect.replaceChildren(...state.models.map((m) => element('option', { text: m, attrs: m === state!.model ? { value: m, selected: '' } : { value: m } })));
  sendButton.hidden = state.busy;
  stopButton.hidden = !state.busy;
  input.placeholder = state.busy ? 'The agent is working… (Stop to interrupt)' : 'Ask the ML engineer…  (@ to mention a file)';
  renderMeter();
  historyList.replaceChildren(
    ...state.conversations.map((c) => {
      const open = element('button', { className: `link${c.id === state!.activeId ? ' active' : ''}`, text: c.title, attrs: { title: new Date(c.updatedAt).toLocaleString() } });
      open.addEventListener('click', () => {
        send({ type: 'openConversation', id: c.id });
        historyList.hidden = true;
      });
      const remove = element('button', { className: 'link muted', text: '✕', attrs: { title: 'Delete', 'aria-label': `Delete ${c.title}` } });
      remove.addEventListener('click', () => send({ type: 'deleteConversation', id: c.id }));
      return element('div', { className: 'history-row', attrs: { role: 'listitem' } }, [open, remove]);
    }),
  );
  if (state.conversations.length === 0) historyList.replaceChildren(element('div', { className: 'muted', text: 'No past conversations.' }));
}

function renderMeter(): void {
  if (!state) return;
  const share = state.contextWindow ? Math.min(1, totals.contextTokens / state.contextWindow) : 0;
  const cost = totals.costUnknown ? (totals.costUsd > 0 ? `$${totals.costUsd.toFixed(2)} + unknown` : 'cost unknown') : `$${totals.costUsd.toFixed(2)}`;
  meter.textContent = `${cost}${state.costCapUsd && !totals.costUnknown ? ` / $${state.costCapUsd.toFixed(0)}` : ''} · ${Math.round(share * 100)}% context`;
  meter.title = `${totals.costUnknown ? 'No price is known for this model (set one in mlEngineer.agent.prices). ' : ''}Estimated cost of this chat, and how full the model's context was on the last request (${totals.contextTokens.toLocaleString()} of ${state.contextWindow.toLocaleString()} tokens).`;
}

const views = new Map<string, ItemView>();
/** Items changed since they were last drawn. */
const changed = new Set<string>();
let frameRequested = false;
let drawsThisFrame = 0;
/** Whether the view follows new output: true while its end is in view (or was, before the output grew). */
let pinned = true;

// The end of the transcript: in view (with 40 px to spare) means the view follows new output.
// Observed rather than measured: reading scroll sizes after each change forces a layout per delta.
const end = element('div', { className: 'transcript-end', attrs: { 'aria-hidden': 'true' } });
new IntersectionObserver((entries) => (pinned = entries.at(-1)!.isIntersecting), { root: transcript, rootMargin: '0px 0px 40px 0px' }).observe(end);

// The start: older items are asked for as it comes near (or on a click).
const olderButton = element('button', { className: 'link older', text: 'Show earlier messages' });
let olderAsked: string | undefined;
/** How far above the view older items are drawn (or asked for) before they scroll into it. */
const OLDER_MARGIN_PX = 800;
function askOlder(): void {
  if (undrawn.length > 0) return drawUndrawn();
  const first = items[0];
  if (olderCount === 0 || !first || olderAsked) return;
  olderAsked = first.id;
  send({ type: 'loadOlder', beforeId: first.id });
}
olderButton.addEventListener('click', askOlder);
// Coming near the start (the margin above the view): drawn or asked for when the page is idle,
// so the frames that show the view (its first one included) do not wait for what is not in it.
let olderIdle: number | undefined;
const olderObserver = new IntersectionObserver(
  (entries) => {
    if (!entries.at(-1)!.isIntersecting || olderIdle !== undefined) return;
    olderIdle = requestIdleCallback(
      () => {
        olderIdle = undefined;
        askOlder();
      },
      { timeout: 100 },
    );
  },
  { root: transcript, rootMargin: `${OLDER_MARGIN_PX}px 0px 0px 0px` },
);
olderObserver.observe(olderButton);

// Links in answers (http(s) only, after sanitising) open through the host, which asks first.
transcript.addEventListener('click', (event) => {
  const link = (event.target as Element).closest?.('.markdown a');
  if (!link) return;
  event.preventDefault();
  const href = link.getAttribute('href');
  if (href) send({ type: 'openLink', href });
});

/**
 * Draws a freshly opened conversation; the view starts at the end. Only what can be seen is
 * drawn: the newest items, a few at a time, until they fill the view (a layout per few items,
 * not one per item); the rest of what the host sent waits in `undrawn`, drawn after this first
 * paint by the observer of the start (the margin above the view, then more as it scrolls).
 */
function renderTranscript(): void {
  views.clear();
  changed.clear();
  olderAsked = undefined;
  if (olderIdle !== undefined) cancelIdleCallback(olderIdle);
  olderIdle = undefined;
  items = [...undrawn, ...items];
  transcript.replaceChildren(olderButton, ...(items.length || olderCount ? [] : [empty]), end);
  const fill = transcript.clientHeight;
  let first = items.length;
  while (first > 0) {
    const from = Math.max(0, first - 4);
    olderButton.after(...items.slice(from, first).map((item) => view(item).element));
    first = from;
    if (transcript.scrollHeight > fill) break;
  }
  undrawn = items.slice(0, first);
  items = items.slice(first);
  olderButton.hidden = olderCount === 0 && undrawn.length === 0;
  pinned = true;
  // At the end now, in the layout the loop above has made: this first frame shows it so.
  transcript.scrollTop = transcript.scrollHeight;
  requestFrame();
  // A fresh observation: the start may already be in view.
  olderObserver.unobserve(olderButton);
  olderObserver.observe(olderButton);
}

function view(item: TranscriptItem): ItemView {
  const drawn = drawItem(item, send);
  views.set(item.id, drawn);
  return drawn;
}

/**
 * An item drawn above the view (older ones, as it scrolls up): laid out and painted only when it
 * comes near the view (`content-visibility: auto`, chat.css), a placeholder height until then,
 * its real one remembered after. It stays in the document, so find in page and copy still reach it.
 */
function viewAbove(item: TranscriptItem): HTMLElement {
  const drawn = view(item).element;
  drawn.classList.add('above');
  return drawn;
}

/**
 * Items the host sent but the view has not drawn yet: drawn above the others, newest first, a
 * few at a time until they fill the margin above the view; the view kept where it was.
 */
function drawUndrawn(): void {
  const fromEnd = transcript.scrollHeight - transcript.scrollTop;
  const fill = transcript.scrollHeight + OLDER_MARGIN_PX;
  while (undrawn.length > 0 && transcript.scrollHeight < fill) {
    const batch = undrawn.splice(Math.max(0, undrawn.length - 4));
    items.unshift(...batch);
    olderButton.after(...batch.map(viewAbove));
  }
  olderButton.hidden = olderCount === 0 && undrawn.length === 0;
  transcript.scrollTop = transcript.scrollHeight - fromEnd;
  olderObserver.unobserve(olderButton);
  olderObserver.observe(olderButton);
}

/** Older items arrived: drawn above, the view kept where it was. */
function prependOlder(older: TranscriptItem[], count: number): void {
  olderAsked = undefined;
  olderCount = count;
  items.unshift(...older);
  const fromEnd = transcript.scrollHeight - transcript.scrollTop;
  empty.remove();
  olderButton.after(...older.map(viewAbove));
  olderButton.hidden = olderCount === 0 && undrawn.length === 0;
  transcript.scrollTop = transcript.scrollHeight - fromEnd;
  olderObserver.unobserve(olderButton);
  olderObserver.observe(olderButton);
}

function itemById(id: string): TranscriptItem | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (items[i]!.id === id) return items[i];
  return undefined;
}

/** Draws what changed: an item in place, a new one at the end, a removed one taken away. */
function drawChanged(): void {
  for (const id of changed) {
    const item = itemById(id);
    const drawn = views.get(id);
    if (!item) {
      drawn?.element.remove();
      views.delete(id);
    } else if (drawn?.update && drawn.element.isConnected) {
      drawn.update(item);
    } else {
      const next = view(item);
      if (drawn?.element.isConnected) drawn.element.replaceWith(next.element);
      else {
        empty.remove();
        end.before(next.element);
      }
    }
  }
  changed.clear();
}

/**
 * A streamed delta is drawn when it arrives (only the message's open block is drawn again),
 * up to two per frame while drawing stays cheap; anything more waits for the next frame and is
 * drawn with it. The frame also keeps the end in view while the view follows the output.
 */
function markChanged(id: string, now: boolean): void {
  changed.add(id);
  if (now && drawsThisFrame < 2) {
    const started = performance.now();
    drawChanged();
    drawsThisFrame = performance.now() - started > 4 ? 2 : drawsThisFrame + 1;
  }
  requestFrame();
}

function requestFrame(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    drawsThisFrame = 0;
    drawChanged();
    if (pinned) transcript.scrollTop = transcript.scrollHeight;
  });
}

/** One agent event: kept in `items`, and what it touched drawn (deltas at once, the rest at the next frame). */
function applyEvent(event: AgentEvent): void {
  // The end of a turn settles every bubble that streamed in it (and may drop empty ones).
  const settling = event.type === 'turnEnd' ? items.filter((i) => i.kind === 'assistant' && (i.streaming || i.id === event.turnId)).map((i) => i.id) : [];
  const touched = applyAgentEvent(items, event, totals);
  for (const id of settling) changed.add(id);
  if (touched) markChanged(touched.id, event.type === 'textDelta' || event.type === 'thinkingDelta');
  else if (settling.length > 0) requestFrame();
  if (event.type === 'usage') renderMeter();
}

onHostMessage<ToWebview>((message) => {
  switch (message.type) {
    case 'state':
      state = message.state;
      totals.costUsd = state.totals.costUsd;
      totals.contextTokens = state.totals.contextTokens;
      totals.costUnknown = state.totals.costUnknown === true;
      renderState();
      break;
    case 'transcript':
      // Marks for the bench: when an opened conversation reached the view, and when it was drawn.
      performance.mark('chat:transcript-received');
      items = message.items;
      undrawn = [];
      olderCount = message.olderCount;
      if (state?.hasApiKey) renderTranscript();
      performance.mark('chat:transcript-drawn');
      break;
    case 'olderItems':
      if (message.beforeId === olderAsked && items[0]?.id === message.beforeId) prependOlder(message.items, message.olderCount);
      break;
    case 'userMessage':
      items.push(message.item);
      pinned = true;
      markChanged(message.item.id, true);
      break;
    case 'agentEvents':
      for (const event of message.events) applyEvent(event);
      break;
    case 'mentionResults':
      showMentions(message.query, message.items);
      break;
  }
});

send({ type: 'ready' });
