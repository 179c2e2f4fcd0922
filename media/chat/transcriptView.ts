import { codeDigest, KERNEL_LANGUAGES, type CodeAction, type CodeBlock } from '../../src/chat/codeBlocks';
import type { FromWebview } from '../../src/chat/protocol';
import type { TranscriptItem } from '../../src/chat/transcript';
import { element } from '../common/dom';
import { drawCodeBlock, markInvisibleCharacters } from './codeBlockView';
import { MarkdownView } from './markdownView';

type Send = (message: FromWebview) => void;
type AssistantItem = Extract<TranscriptItem, { kind: 'assistant' }>;

/** An item as drawn; `update` redraws it in place (only assistant messages have one: they stream). */
export interface ItemView {
  readonly element: HTMLElement;
  update?(item: TranscriptItem): void;
}

const STATUS_LABEL: Record<string, string> = {
  pending: 'Preparing',
  'awaiting-approval': 'Needs your approval',
  running: 'Running…',
  done: 'Done',
  error: 'Failed',
  denied: 'Declined',
  cancelled: 'Cancelled',
};

export function drawItem(item: TranscriptItem, send: Send): ItemView {
  switch (item.kind) {
    case 'user':
      return { element: element('div', { className: 'msg user', attrs: { 'data-id': item.id } }, [element('div', { className: 'bubble', text: item.text })]) };
    case 'assistant':
      return new AssistantView(item, send);
    case 'tool':
      return { element: renderToolCard(item, send) };
    case 'notice': {
      const actions: Node[] = [];
      if (item.action && !item.resolved) {
        const label = item.action === 'retry' ? 'Retry' : 'Continue';
        const b = element('button', { text: label });
        b.addEventListener('click', () => send({ type: 'noticeAction', action: item.action! }));
        actions.push(b);
      }
      if (item.requestId) {
        // For support: the API's id of the failed request, copied by the host from its own record.
        const copy = element('button', { text: 'Copy', className: 'link', attrs: { title: 'Copy the request id' } });
        copy.addEventListener('click', () => send({ type: 'copyRequestId', itemId: item.id }));
        actions.push(element('span', { className: 'muted small request-id', text: `Request id ${item.requestId}` }), copy);
      }
      return { element: element('div', { className: `notice ${item.level}`, attrs: { role: item.level === 'error' ? 'alert' : 'status', 'data-id': item.id } }, [element('span', { text: item.message }), ...actions]) };
    }
  }
}

/**
 * An assistant message: thinking, the Markdown body (drawn incrementally while it streams),
 * and under it "Stopped." and the turn's cost once it is done.
 */
class AssistantView implements ItemView {
  readonly element: HTMLElement;
  private readonly body: MarkdownView;
  private readonly footer = element('div');
  private thinking: { details: HTMLDetailsElement; text: HTMLElement } | undefined;
  /** "Thinking…" while the model thinks, also when only a signature streams (nothing to show yet). */
  private readonly thinkingNow = element('div', { className: 'muted small thinking-now', text: 'Thinking…', attrs: { role: 'status' } });

  constructor(item: AssistantItem, send: Send) {
    this.body = new MarkdownView((block, final) => drawCodeBlock(block, { highlight: final, ...(final ? { actions: (b: CodeBlock) => codeActions(item.id, b, send) } : {}) }));
    this.element = element('div', { attrs: { 'data-id': item.id } }, [this.body.element, this.footer]);
    this.update(item);
  }

  update(item: TranscriptItem): void {
    if (item.kind !== 'assistant') return;
    // Set only when it changes: every delta comes through here, and a class set is a style invalidation.
    const className = `msg assistant${item.streaming ? ' streaming' : ''}`;
    if (this.element.className !== className) this.element.className = className;
    if (item.thinking) {
      if (!this.thinking) {
        const text = element('div');
        this.thinking = { details: element('details', { className: 'thinking' }, [element('summary', { text: 'Thinking' }), text]), text };
        this.element.prepend(this.thinking.details);
      }
      this.thinking.text.textContent = item.thinking;
    }
    const thinkingNow = item.thinkingNow === true && item.streaming === true;
    if (thinkingNow && !this.thinkingNow.isConnected) this.body.element.before(this.thinkingNow);
    else if (!thinkingNow && this.thinkingNow.isConnected) this.thinkingNow.remove();
    if (item.streaming) this.body.stream(item.text);
    else this.body.finish(item.text || '_(no answer)_');
    const footer: Node[] = [];
    if (item.endReason === 'cancelled') footer.push(element('div', { className: 'muted small', text: 'Stopped.' }));
    if (item.usage && !item.streaming) {
      const u = item.usage;
      footer.push(
        element('div', {
          className: 'muted small turn-usage',
          text: `${u.costUnknown ? 'cost unknown' : `$${u.costUsd.toFixed(4)}`} · ${formatTokens(u.inputTokens)} in (${formatTokens(u.cachedTokens)} cached) · ${formatTokens(u.outputTokens)} out`,
          attrs: { title: 'Estimated cost and tokens of this turn' },
        }),
      );
    }
    if (footer.length > 0 || this.footer.hasChildNodes()) this.footer.replaceChildren(...footer);
  }
}

/**
 * Copy / Insert / Insert as cell / Run in kernel above a code block. A click names the block by
 * its message and the digest of the code drawn here; the host takes the code from its own copy
 * of the Markdown (src/chat/codeBlocks.ts), so nothing on this page decides what is run.
 */
function codeActions(itemId: string, block: CodeBlock, send: Send): HTMLElement {
  const bar = element('div', { className: 'code-actions' });
  let digest: string | undefined;
  const add = (label: string, action: CodeAction): void => {
    const b = element('button', { text: label, className: 'link', attrs: { title: label } });
    b.addEventListener('click', () => send({ type: 'codeAction', action, itemId, digest: (digest ??= codeDigest(block.code)) }));
    bar.append(b);
  };
  add('Copy', 'copy');
  add('Insert', 'insert');
  add('Insert as cell', 'insertCell');
  if (KERNEL_LANGUAGES.has(block.language)) add('Run in kernel', 'runInKernel');
  return bar;
}

function formatTokens(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

function renderToolCard(item: Extract<TranscriptItem, { kind: 'tool' }>, send: Send): HTMLElement {
  const header = element('div', { className: 'tool-header' }, [
    element('span', { className: `risk risk-${item.risk}`, text: item.risk === 'read' ? 'read' : item.risk === 'write' ? 'edit' : 'run' }),
    element('span', { className: 'tool-title', text: item.title }),
    element('span', { className: `status status-${item.status}`, text: STATUS_LABEL[item.status] ?? item.status }),
  ]);
  const children: Node[] = [header];
  // Code the tool runs is shown whole, before it is approved and after, not only in Details.
  if (item.code !== undefined) {
    const code = element('pre', { className: 'tool-code', text: item.code, attrs: { 'data-language': item.codeLanguage ?? 'python' } });
    markInvisibleCharacters(code);
    children.push(code);
  }
  if (item.status === 'awaiting-approval') {
    const once = element('button', { text: 'Allow once' });
    once.addEventListener('click', () => send({ type: 'approve', callId: item.id, scope: 'once' }));
    // Says what it covers: this same call again (the same code, command or unchanged file), or every call of the tool.
    const always =
      item.allowCovers === 'any'
        ? element('button', { text: `Allow any ${item.name} in this chat`, className: 'secondary', attrs: { title: `Later ${item.name} calls in this chat run without asking, whatever their input` } })
        : item.allowCovers === 'same'
          ? element('button', { text: 'Allow this again in this chat', className: 'secondary', attrs: { title: 'This same call (the same code, command or unchanged file) runs again without asking in this chat; anything else is asked' } })
          : element('button', { text: 'Allow for this chat', className: 'secondary' });
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
  if (item.code !== undefined && item.codeLanguage === undefined && item.status !== 'awaiting-approval') {
    // What the agent ran in the kernel can become a cell of the notebook, to keep or re-run.
    const insert = element('button', { text: 'Insert as cell', className: 'link', attrs: { title: 'Insert this code as a notebook cell' } });
    const code = item.code;
    insert.addEventListener('click', () => send({ type: 'codeAction', action: 'insertCell', itemId: item.id, digest: codeDigest(code) }));
    children.push(element('div', { className: 'code-actions' }, [insert]));
  }
  const detail = [element('summary', { text: 'Details' }), element('div', { className: 'label', text: 'Input' }), element('pre', { text: item.input })];
  if (item.output) detail.push(element('div', { className: 'label', text: 'Output' }), element('pre', { text: item.output }));
  children.push(element('details', { className: 'tool-details' }, detail));
  return element('div', { className: `tool-card status-${item.status}`, attrs: { 'data-id': item.id, 'aria-label': `Tool call: ${item.title}` } }, children);
}
