import type { ChatViewState, FromWebview, ToWebview } from '../../src/chat/protocol';
import { element, onHostMessage, postToHost } from '../common/vscodeApi';

const root = document.getElementById('root');
const send = (message: FromWebview): void => postToHost(message);

function button(label: string, message: FromWebview, secondary = false): HTMLButtonElement {
  const b = element('button', { text: label, className: secondary ? 'secondary' : '' });
  b.addEventListener('click', () => send(message));
  return b;
}

function render(state: ChatViewState): void {
  if (!root) return;
  const body = state.hasApiKey
    ? [
        element('h2', { text: 'Ready' }),
        element('p', { text: 'Your Anthropic API key is saved in secret storage.' }),
        element('p', {
          className: 'muted',
          text: 'The chat agent is not part of this build yet. Meanwhile, check what this machine offers for ML work.',
        }),
        element('div', { className: 'actions' }, [button('Check Environment', { type: 'checkEnvironment' })]),
      ]
    : [
        element('h2', { text: 'Set up the ML Engineer agent' }),
        element('p', {
          text: 'The agent talks to Claude with your Anthropic API key. The key is kept in VS Code secret storage on this machine, never in settings or logs.',
        }),
        element('div', { className: 'actions' }, [
          button('Set Anthropic API Key', { type: 'setApiKey' }),
          button('Check Environment', { type: 'checkEnvironment' }, true),
        ]),
      ];
  root.replaceChildren(element('section', { className: 'setup', attrs: { 'aria-label': 'Chat setup' } }, body));
}

onHostMessage<ToWebview>((message) => {
  switch (message.type) {
    case 'state':
      render(message.state);
      break;
  }
});

send({ type: 'ready' });
