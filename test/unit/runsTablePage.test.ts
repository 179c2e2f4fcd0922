import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { FromRunsView, ToRunsView } from '../../src/tracking/runsTableProtocol';

// The runs table page (media/runs/main.ts) in a real DOM (jsdom), its host played by the test:
// answers to filter texts arrive after the person has typed a newer one, as they do from a busy
// extension host, and the page must not show an error about a text no longer in its box.

type Data = Extract<ToRunsView, { type: 'data' }>;

const REFUSED = 'Cannot read the filter at column 10: "<" needs a value on its right, as in val_loss<0.4';

function data(filter: string, shown: number, filterError: string | null, filterSeq: number): Data {
  const rows = Array.from({ length: shown }, (_, i) => ({ key: `r${i}`, name: `run-${i}`, status: 'finished', source: 'MLflow', experiment: 'e', started: null, duration: null, problems: 0, cells: [] }));
  return { type: 'data', filter, filterError, filterSeq, notes: [], total: 9, columns: [], directions: [], rows, metrics: [], params: [] };
}

describe('runs table page: filter answers in order of what was typed (jsdom)', () => {
  const posted: FromRunsView[] = [];
  let dom: JSDOM;
  let input: HTMLInputElement;
  let error: HTMLElement;
  let count: HTMLElement;

  before(async () => {
    dom = new JSDOM('<!doctype html><html><body><div id="root"></div></body></html>', { pretendToBeVisual: true });
    const acquireVsCodeApi = (): unknown => ({ postMessage: (m: FromRunsView) => posted.push(m), getState: () => undefined, setState: () => undefined });
    Object.assign(globalThis, { window: dom.window, document: dom.window.document, requestAnimationFrame: dom.window.requestAnimationFrame, acquireVsCodeApi });
    await import('../../media/runs/main');
    input = dom.window.document.querySelector<HTMLInputElement>('input.filter')!;
    error = dom.window.document.querySelector<HTMLElement>('.filter-error')!;
    count = dom.window.document.querySelector<HTMLElement>('.count')!;
  });

  const fromHost = (message: ToRunsView): void => void dom.window.dispatchEvent(new dom.window.MessageEvent('message', { data: message }));
  /** Types `text` in the filter box and presses Enter: the page sends it at once. */
  const type = (text: string): Extract<FromRunsView, { type: 'filter' }> => {
    input.focus();
    input.value = text;
    input.dispatchEvent(new dom.window.Event('input'));
    input.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key: 'Enter' }));
    const sent = posted.at(-1);
    assert.ok(sent?.type === 'filter' && sent.text === text, `the page sent ${JSON.stringify(sent)}`);
    return sent;
  };

  it('drops the answers about a refused text once an empty filter was typed after it, and shows those of the empty one', () => {
    assert.deepEqual(posted.at(-1), { type: 'ready' });
    fromHost(data('val_loss<0.4', 3, null, 0));
    assert.equal(count.textContent, '3 of 9 runs');
    const refused = type('val_loss<');
    const cleared = type('');
    assert.ok(cleared.seq > refused.seq, 'each text sent has a later number');
    // The host's answers to the refused text come now: the rows of the filter in force with its error, then the error.
    fromHost(data('val_loss<0.4', 3, REFUSED, refused.seq));
    fromHost({ type: 'filterError', text: 'val_loss<', error: REFUSED, seq: refused.seq });
    assert.equal(error.hidden, true, `an error about "val_loss<" shown under an empty box: ${error.textContent}`);
    assert.equal(input.getAttribute('aria-invalid'), 'false');
    // Then the answer to the empty filter: every run, no error.
    fromHost(data('', 9, null, cleared.seq));
    assert.equal(count.textContent, '9 runs');
    assert.equal(error.hidden, true);
  });

  it('shows the error of the text in the box, from the rows or from the refusal, whichever comes first', () => {
    const refused = type('val_loss<');
    fromHost(data('', 9, REFUSED, refused.seq));
    assert.equal(error.hidden, false);
    assert.equal(error.textContent, REFUSED);
    const again = type('val_loss<<');
    fromHost({ type: 'filterError', text: 'val_loss<<', error: 'Cannot read the filter at column 10: "<<" is not an operator', seq: again.seq });
    assert.equal(error.textContent, 'Cannot read the filter at column 10: "<<" is not an operator');
    // Rows sent for another reason (a run's files changed) before the host heard a newer text keep the shown error.
    const fixed = type('val_loss<0.3');
    fromHost(data('', 9, 'Cannot read the filter at column 10: "<<" is not an operator', again.seq));
    assert.equal(error.hidden, false);
    fromHost(data('val_loss<0.3', 2, null, fixed.seq));
    assert.equal(error.hidden, true);
    assert.equal(count.textContent, '2 of 9 runs');
  });
});
