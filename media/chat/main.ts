import type { ChatViewState, FromWebview, ToWebview } from '../../src/chat/protocol';
import { applyAgentEvent, type TranscriptItem, type TranscriptTotals } from '../../src/chat/transcript';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';
import { renderItem } from './transcriptView';

const root = document.getElementById('root')!;
const send = (message: FromWebview): void => postToHost(message);

let state: ChatViewState | undefined;
let items: TranscriptItem[] = [];
const totals: TranscriptTotals = { costUsd: 0, contextTokens: 0 };
const drawn = new Map<string, HTMLElement>();
const dirty = new Set<string>();
let frame = 0;

/** When each streamed delta reached the screen (for `npm run bench -- chat`); the last 2000 only. */
const drawLog: { text: string; drawnAt: number }[] = [];
let undrawnDeltas: string[] = [];
(window as unknown as { __mleDrawLog: typeof drawLog }).__mleDrawLog = drawLog;

// ---- layout: header, transcript, composer ----
const modelSelect = element('select', { attrs: { 'aria-label': 'Model', title: 'Model for this chat' } });
modelSelect.addEventListener('change', () => send({ type: 'selectModel', model: modelSelect.value }));
const meter = element('span', { className: 'meter', attrs: { 'aria-label': 'Cost and context' } });
const historyButton = element('button', { text: 'History', className: 'secondary', attrs: { title: 'Past conversations' } });
const newButton = element('button', { text: 'New chat', className: 'secondary' });
newButton.addEventListener('click', () => send({ type: 'newChat' }));
const historyList = element('div', { className: 'history', attrs: { hidden: '', role: 'list', 'aria-label': 'Past conversations' } });
historyButton.addEventListener('click', () => historyList.toggleAttribute('hidden'));
const header = element('div', { className: 'chat-header' }, [modelSelect, meter, element('span', { className: 'spacer' }), historyButton, newButton]);

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
function renderSetup(): void {
  const setKey = element('button', { text: 'Set Anthropic API Key' });
  setKey.addEventListener('click', () => send({ type: 'setApiKey' }));
  const check = element('button', { text: 'Check Environment', className: 'secondary' });
  check.addEventListener('click', () => send({ type: 'checkEnvironment' }));
  root.replaceChildren(
    element('section', { className: 'setup', attrs: { 'aria-label': 'Chat setup' } }, [
      element('h2', { text: 'Set up the ML Engineer agent' }),
      element('p', { text: 'The agent talks to Claude with your Anthropic API key. The key is kept in VS Code secret storage on this machine, never in settings or logs.' }),
      element('p', { className: 'muted', text: 'Using a gateway or proxy? Set mlEngineer.anthropic.baseUrl in your user settings.' }),
      element('div', { className: 'actions' }, [setKey, check]),
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
  meter.textContent = `$${totals.costUsd.toFixed(2)}${state.costCapUsd ? ` / $${state.costCapUsd.toFixed(0)}` : ''} · ${Math.round(share * 100)}% context`;
  meter.title = `Estimated cost of this chat, and how full the model's context was on the last request (${totals.contextTokens.toLocaleString()} of ${state.contextWindow.toLocaleString()} tokens).`;
}

/** Items drawn at once when a conversation opens; older ones are drawn as they scroll into view. */
const EAGER_ITEMS = 40;

const deferredObserver = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const placeholder = entry.target as HTMLElement;
      deferredObserver.unobserve(placeholder);
      const item = items.find((i) => i.id === placeholder.dataset.id);
      if (item) placeholder.replaceWith(draw(item));
    }
  },
  { root: transcript, rootMargin: '800px 0px' },
);

function renderTranscript(): void {
  drawn.clear();
  deferredObserver.disconnect();
  const firstEager = Math.max(0, items.length - EAGER_ITEMS);
  const nodes = items.map((item, index) => {
    if (index >= firstEager) return draw(item);
    // Markdown, sanitising and highlighting cost about half a millisecond a message: a long
    // conversation opens at its end, and what is above is drawn when it scrolls into view.
    const placeholder = element('div', { className: `msg deferred ${item.kind}`, attrs: { 'data-id': item.id } });
    deferredObserver.observe(placeholder);
    return placeholder;
  });
  transcript.replaceChildren(...(nodes.length ? nodes : [empty]));
  transcript.scrollTop = transcript.scrollHeight;
}

function draw(item: TranscriptItem): HTMLElement {
  const node = renderItem(item, send, { canRun: false });
  drawn.set(item.id, node);
  return node;
}

/**
 * Streamed text is drawn as it arrives; when deltas come faster than frames, the rest wait
 * for the next animation frame and are drawn together (one Markdown parse per frame).
 */
function drawNow(id: string): void {
  dirty.add(id);
  flush();
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (dirty.size > 0) flush();
  });
}

function schedule(id: string): void {
  dirty.add(id);
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    flush();
  });
}

function flush(): void {
  const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
  for (const itemId of dirty) {
    const item = items.find((i) => i.id === itemId);
    if (!item) continue;
    const old = drawn.get(itemId);
    const node = draw(item);
    if (old?.isConnected) old.replaceWith(node);
    else {
      empty.remove();
      transcript.append(node);
    }
  }
  dirty.clear();
  const now = performance.timeOrigin + performance.now();
  for (const text of undrawnDeltas) drawLog.push({ text, drawnAt: now });
  if (drawLog.length > 2000) drawLog.splice(0, drawLog.length - 2000);
  undrawnDeltas = [];
  if (atBottom) transcript.scrollTop = transcript.scrollHeight;
}

onHostMessage<ToWebview>((message) => {
  switch (message.type) {
    case 'state':
      state = message.state;
      totals.costUsd = state.totals.costUsd;
      totals.contextTokens = state.totals.contextTokens;
      renderState();
      break;
    case 'transcript':
      items = message.items;
      if (state?.hasApiKey) renderTranscript();
      break;
    case 'userMessage':
      items.push(message.item);
      schedule(message.item.id);
      break;
    case 'agentEvent': {
      const touched = applyAgentEvent(items, message.event, totals);
      if (message.event.type === 'textDelta') undrawnDeltas.push(message.event.text);
      if (message.event.type === 'turnEnd') renderTranscript();
      else if (touched && message.event.type === 'textDelta' && !frame) drawNow(touched.id);
      else if (touched) schedule(touched.id);
      if (message.event.type === 'usage') renderMeter();
      break;
    }
    case 'mentionResults':
      showMentions(message.query, message.items);
      break;
  }
});

send({ type: 'ready' });
