import type { FromWebview } from '../../src/chat/protocol';
import type { TranscriptItem } from '../../src/chat/transcript';
import { element } from '../common/vscodeApi';
import { renderMarkdown } from './markdown';

type Send = (message: FromWebview) => void;

const STATUS_LABEL: Record<string, string> = {
  pending: 'Preparing',
  'awaiting-approval': 'Needs your approval',
  running: 'Running…',
  done: 'Done',
  error: 'Failed',
  denied: 'Declined',
  cancelled: 'Cancelled',
};

/** Draws one transcript item; called again for the same item when it changes. */
export function renderItem(item: TranscriptItem, send: Send, options: { canRun: boolean }): HTMLElement {
  switch (item.kind) {
    case 'user':
      return element('div', { className: 'msg user', attrs: { 'data-id': item.id } }, [element('div', { className: 'bubble', text: item.text })]);
    case 'assistant': {
      const body = element('div', { className: 'bubble markdown' });
      body.innerHTML = renderMarkdown(item.text || (item.streaming ? '' : '_(no answer)_'));
      decorateCodeBlocks(body, send);
      const children: Node[] = [];
      if (item.thinking) children.push(element('details', { className: 'thinking' }, [element('summary', { text: 'Thinking' }), element('div', { text: item.thinking })]));
      if (item.thinkingNow && item.streaming) children.push(element('div', { className: 'muted small thinking-now', text: 'Thinking…', attrs: { role: 'status' } }));
      children.push(body);
      if (item.endReason === 'cancelled') children.push(element('div', { className: 'muted small', text: 'Stopped.' }));
      if (item.usage && !item.streaming) {
        const u = item.usage;
        children.push(
          element('div', {
            className: 'muted small turn-usage',
            text: `$${u.costUsd.toFixed(4)} · ${formatTokens(u.inputTokens)} in (${formatTokens(u.cachedTokens)} cached) · ${formatTokens(u.outputTokens)} out`,
            attrs: { title: 'Estimated cost and tokens of this turn' },
          }),
        );
      }
      return element('div', { className: `msg assistant${item.streaming ? ' streaming' : ''}`, attrs: { 'data-id': item.id } }, children);
    }
    case 'tool':
      return renderToolCard(item, send, options);
    case 'notice': {
      const actions: Node[] = [];
      if (item.action && !item.resolved) {
        const label = item.action === 'retry' ? 'Retry' : 'Continue';
        const b = element('button', { text: label });
        b.addEventListener('click', () => send({ type: 'noticeAction', action: item.action! }));
        actions.push(b);
      }
      if (item.requestId) {
        // For support: the API's id of the failed request, copied through the host's clipboard.
        const requestId = item.requestId;
        const copy = element('button', { text: 'Copy', className: 'link', attrs: { title: 'Copy the request id' } });
        copy.addEventListener('click', () => send({ type: 'copyCode', code: requestId }));
        actions.push(element('span', { className: 'muted small request-id', text: `Request id ${requestId}` }), copy);
      }
      return element('div', { className: `notice ${item.level}`, attrs: { role: item.level === 'error' ? 'alert' : 'status', 'data-id': item.id } }, [element('span', { text: item.message }), ...actions]);
    }
  }
}

function formatTokens(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

function renderToolCard(item: Extract<TranscriptItem, { kind: 'tool' }>, send: Send, _options: { canRun: boolean }): HTMLElement {
  const header = element('div', { className: 'tool-header' }, [
    element('span', { className: `risk risk-${item.risk}`, text: item.risk === 'read' ? 'read' : item.risk === 'write' ? 'edit' : 'run' }),
    element('span', { className: 'tool-title', text: item.title }),
    element('span', { className: `status status-${item.status}`, text: STATUS_LABEL[item.status] ?? item.status }),
  ]);
  const children: Node[] = [header];
  // Code the tool runs is shown whole, before it is approved and after, not only in Details.
  if (item.code !== undefined) children.push(element('pre', { className: 'tool-code', text: item.code }));
  if (item.status === 'awaiting-approval') {
    const once = element('button', { text: 'Allow once' });
    once.addEventListener('click', () => send({ type: 'approve', callId: item.id, scope: 'once' }));
    const always = element('button', { text: 'Allow for this chat', className: 'secondary' });
    always.addEventListener('click', () => send({ type: 'approve', callId: item.id, scope: 'conversation' }));
    const deny = element('button', { text: 'Deny', className: 'secondary' });
    deny.addEventListener('click', () => send({ type: 'deny', callId: item.id }));
    const buttons: Node[] = [once, always, deny];
    if (item.hasDiff) {
      const diff = element('button', { text: 'Show diff', className: 'secondary' });
      diff.addEventListener('click', () => send({ type: 'showDiff', callId: item.id }));
      buttons.unshift(diff);
    }
    children.push(element('div', { className: 'actions' }, buttons));
  }
  if (item.summary) children.push(element('div', { className: 'tool-summary', text: item.summary }));
  if (item.code !== undefined && item.status !== 'awaiting-approval') {
    // What the agent ran in the kernel can become a cell of the notebook, to keep or re-run.
    const insert = element('button', { text: 'Insert as cell', className: 'link', attrs: { title: 'Insert this code as a notebook cell' } });
    const code = item.code;
    insert.addEventListener('click', () => send({ type: 'insertCell', code, language: 'python' }));
    children.push(element('div', { className: 'code-actions' }, [insert]));
  }
  const detail = [element('summary', { text: 'Details' }), element('div', { className: 'label', text: 'Input' }), element('pre', { text: item.input })];
  if (item.output) detail.push(element('div', { className: 'label', text: 'Output' }), element('pre', { text: item.output }));
  children.push(element('details', { className: 'tool-details' }, detail));
  return element('div', { className: `tool-card status-${item.status}`, attrs: { 'data-id': item.id, 'aria-label': `Tool call: ${item.title}` } }, children);
}

/** Adds Copy / Insert / Insert as cell to each code block, and routes link clicks to the host. */
function decorateCodeBlocks(container: HTMLElement, send: Send): void {
  for (const pre of Array.from(container.querySelectorAll('pre'))) {
    const code = pre.textContent ?? '';
    const language = pre.getAttribute('data-language') ?? '';
    const bar = element('div', { className: 'code-actions' });
    const add = (label: string, message: FromWebview): void => {
      const b = element('button', { text: label, className: 'link', attrs: { title: label } });
      b.addEventListener('click', () => send(message));
      bar.append(b);
    };
    add('Copy', { type: 'copyCode', code });
    add('Insert', { type: 'insertCode', code });
    add('Insert as cell', { type: 'insertCell', code, language: language || 'python' });
    if (/^(python|py|ipython|)$/i.test(language)) add('Run in kernel', { type: 'runInKernel', code });
    pre.before(bar);
  }
  for (const a of Array.from(container.querySelectorAll('a'))) {
    a.addEventListener('click', (event) => {
      event.preventDefault();
      const href = a.getAttribute('href');
      if (href) send({ type: 'openLink', href });
    });
  }
}
