import * as assert from 'node:assert/strict';
import { posix, win32 } from 'node:path';
import { ExecutionQueue } from '../../src/kernels/executionQueue';
import { finishedWhileAwayNotice } from '../../src/kernels/finishedWhileAway';
import { parseServerUrl } from '../../src/kernels/jupyterEndpoint';
import { hubUserPath } from '../../src/kernels/jupyterHub';
import { kernelFolder } from '../../src/kernels/openKernel';
import { describeVariable, INSPECT_EXPRESSION, parseInspectionReply } from '../../src/kernels/kernelInspection';
import { OutputAccumulator, stripAnsi, writeTerminalText } from '../../src/kernels/outputModel';
import { fitBudget, pngSize, summarizeOutputs } from '../../src/kernels/summarizeOutputs';

const msg = (msg_type: string, content: unknown) => ({ header: { msg_type }, content });

describe('kernel outputs (core)', () => {
  it('writes carriage returns and backspaces like a terminal, across chunks', () => {
    let state = writeTerminalText('', null, 'epoch 1: 10%');
    state = writeTerminalText(state.text, state.cursor, '\repoch 1: 50%\r');
    assert.deepEqual(state, { text: 'epoch 1: 50%', cursor: 0 });
    state = writeTerminalText(state.text, state.cursor, 'epoch 1: 100%\n');
    assert.deepEqual(state, { text: 'epoch 1: 100%\n', cursor: null });
    assert.equal(writeTerminalText('ab', null, '\bc').text, 'ac');
    assert.equal(writeTerminalText('', null, 'long line\rshort').text, 'shortline');
    assert.equal(writeTerminalText('x', 0, '\n').text, 'x\n');
  });

  it('merges consecutive stream messages of one name, keeps others apart', () => {
    const acc = new OutputAccumulator();
    acc.apply(msg('stream', { name: 'stdout', text: 'a' }));
    acc.apply(msg('stream', { name: 'stdout', text: 'b\n' }));
    acc.apply(msg('stream', { name: 'stderr', text: 'warn\n' }));
    acc.apply(msg('stream', { name: 'stdout', text: 'c\n' }));
    assert.deepEqual(
      acc.outputs.map((o) => (o.type === 'stream' ? `${o.name}:${o.text}` : o.type)),
      ['stdout:ab\n', 'stderr:warn\n', 'stdout:c\n'],
    );
  });

  it('clears at once, or at the next output when asked to wait', () => {
    const acc = new OutputAccumulator();
    acc.apply(msg('stream', { name: 'stdout', text: 'old\n' }));
    assert.equal(acc.apply(msg('clear_output', { wait: true })), false);
    assert.equal(acc.outputs.length, 1, 'still shown until something replaces it');
    acc.apply(msg('display_data', { data: { 'text/plain': 'new' }, metadata: {} }));
    assert.equal(acc.outputs.length, 1);
    assert.equal(acc.outputs[0]?.type, 'display_data');
    acc.apply(msg('clear_output', { wait: false }));
    assert.equal(acc.outputs.length, 0);
  });

  it('updates a display in place by its display id and ignores unknown ids', () => {
    const acc = new OutputAccumulator();
    acc.apply(msg('display_data', { data: { 'text/plain': '0%' }, metadata: {}, transient: { display_id: 'p' } }));
    assert.equal(acc.apply(msg('update_display_data', { data: { 'text/plain': '100%' }, metadata: {}, transient: { display_id: 'p' } })), true);
    assert.equal(acc.apply(msg('update_display_data', { data: { 'text/plain': 'x' }, metadata: {}, transient: { display_id: 'other' } })), false);
    const only = acc.outputs[0];
    assert.equal(only?.type === 'display_data' ? only.data['text/plain'] : '', '100%');
  });

  it('caps the number of outputs and oversized values, and says so', () => {
    const acc = new OutputAccumulator({ streamChars: 1000, outputs: 3, valueChars: 10 });
    for (let i = 0; i < 5; i++) acc.apply(msg('display_data', { data: { 'text/plain': String(i) }, metadata: {} }));
    assert.equal(acc.outputs.length, 4);
    assert.match(acc.outputs[3]?.type === 'stream' ? acc.outputs[3].text : '', /2 more outputs not shown/);
    const big = new OutputAccumulator({ streamChars: 1000, outputs: 3, valueChars: 10 });
    big.apply(msg('display_data', { data: { 'image/png': 'A'.repeat(100), 'text/plain': '<Figure>' }, metadata: {} }));
    const shown = big.outputs[0];
    assert.ok(shown?.type === 'display_data' && !('image/png' in shown.data));
    assert.match(shown?.type === 'display_data' ? String(shown.data['text/plain']) : '', /image\/png output .* was not shown/);
  });

  it('records the execution count from execute_input and execute_result', () => {
    const acc = new OutputAccumulator();
    acc.apply(msg('execute_input', { execution_count: 7, code: 'x' }));
    assert.equal(acc.executionCount, 7);
    acc.apply(msg('execute_result', { execution_count: 8, data: { 'text/plain': '1' }, metadata: {} }));
    assert.equal(acc.executionCount, 8);
  });

  it('strips ANSI colours from tracebacks', () => {
    assert.equal(stripAnsi('\u001b[0;31mValueError\u001b[0m: bad'), 'ValueError: bad');
  });
});

describe('output summaries for the agent', () => {
  it('keeps the head and the tail within the budget', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n');
    const fitted = fitBudget(text, 500);
    assert.ok(fitted.length < 560);
    assert.match(fitted, /^line 0\n/);
    assert.match(fitted, /line 999$/);
    assert.match(fitted, /characters not shown/);
  });

  it('reads only what is new since the cursor, and describes images', () => {
    const acc = new OutputAccumulator();
    acc.apply(msg('stream', { name: 'stdout', text: 'epoch 1\n' }));
    const first = summarizeOutputs(acc.outputs, 1000);
    assert.equal(first.text, 'epoch 1\n');
    acc.apply(msg('stream', { name: 'stdout', text: 'epoch 2\n' }));
    // 1x1 PNG
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    acc.apply(msg('display_data', { data: { 'image/png': png, 'text/plain': '<Figure size 640x480 with 1 Axes>' }, metadata: {} }));
    const second = summarizeOutputs(acc.outputs, 1000, first.cursor);
    assert.equal(second.text, 'epoch 2\n[image/png image 1x1, 0.1 KB]\n');
    assert.deepEqual(pngSize(png), { width: 1, height: 1 });
    assert.equal(summarizeOutputs(acc.outputs, 1000, second.cursor).text, '');
  });
});

describe('Jupyter server URLs', () => {
  it('takes a browser address with a token and front-end path apart', () => {
    assert.deepEqual(parseServerUrl('http://gpu-box:8888/lab/tree/train.ipynb?token=abc'), { baseUrl: 'http://gpu-box:8888/', token: 'abc' });
    assert.deepEqual(parseServerUrl(' https://hub.example.org/user/alice/lab '), { baseUrl: 'https://hub.example.org/user/alice/' });
    assert.deepEqual(parseServerUrl('https://gateway.example.org:8889'), { baseUrl: 'https://gateway.example.org:8889/' });
    assert.throws(() => parseServerUrl('ftp://x'), /not an http/);
    assert.throws(() => parseServerUrl('not a url'));
  });

  it('takes JupyterHub addresses to the user server, or to the hub when it is one of the hub\'s pages', () => {
    const base = (url: string) => parseServerUrl(url).baseUrl;
    assert.equal(base('https://hub.example.org/hub/user/alice/lab/tree/x.ipynb'), 'https://hub.example.org/user/alice/');
    assert.equal(base('https://hub.example.org/user/alice/gpu/lab'), 'https://hub.example.org/user/alice/gpu/');
    assert.equal(base('https://hub.example.org/user/alice/api/kernels/1234'), 'https://hub.example.org/user/alice/');
    assert.equal(base('https://hub.example.org/hub/home'), 'https://hub.example.org/');
    assert.equal(base('https://hub.example.org/hub/token'), 'https://hub.example.org/');
    assert.equal(base('https://example.org/jhub/hub/spawn'), 'https://example.org/jhub/');
    assert.equal(base('https://example.org/jhub/hub/user-redirect/lab'), 'https://example.org/jhub/');
    // Users named like the paths stripped elsewhere keep their server.
    assert.equal(base('https://hub.example.org/user/hub/lab'), 'https://hub.example.org/user/hub/');
    assert.equal(base('https://hub.example.org/user/api/'), 'https://hub.example.org/user/api/');
    assert.equal(base('http://gpu-box:8888/api/'), 'http://gpu-box:8888/');
  });

  it('reads hub, user and server from a JupyterHub user server URL', () => {
    assert.deepEqual(hubUserPath('https://hub.example.org/user/alice/'), { hubUrl: 'https://hub.example.org/', user: 'alice', server: '' });
    assert.deepEqual(hubUserPath('https://example.org/jhub/user/bob%40lab/gpu/'), { hubUrl: 'https://example.org/jhub/', user: 'bob@lab', server: 'gpu' });
    assert.equal(hubUserPath('http://127.0.0.1:8888/'), undefined);
    assert.equal(hubUserPath('https://hub.example.org/hub/'), undefined);
  });
});

describe('notebook kernels: queue, notices, folders (core)', () => {
  it('runs one notebook\'s work in order, after a failure too, and other notebooks meanwhile', async () => {
    const queue = new ExecutionQueue();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = queue.enqueue('a', () => new Promise<void>((r) => (releaseFirst = () => (log.push('a1'), r()))));
    const failing = queue.enqueue('a', () => {
      log.push('a2');
      return Promise.reject(new Error('cell failed'));
    });
    const third = queue.enqueue('a', () => (log.push('a3'), Promise.resolve()));
    await queue.enqueue('b', () => (log.push('b1'), Promise.resolve()));
    assert.deepEqual(log, ['b1'], 'b did not wait for a');
    assert.equal(queue.busy('a'), true);
    releaseFirst();
    await first;
    await assert.rejects(failing, /cell failed/);
    await third;
    assert.deepEqual(log, ['b1', 'a1', 'a2', 'a3']);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(queue.busy('a'), false, 'an empty queue is forgotten');
  });

  it('says a long cell ended while the window was away, and nothing otherwise', () => {
    const context = { what: 'Cell 3 of train.ipynb', thresholdSeconds: 60, windowFocused: false };
    assert.deepEqual(finishedWhileAwayNotice({ status: 'ok', durationMs: 750_000 }, context), { level: 'info', message: 'Cell 3 of train.ipynb finished after 12.5 min.' });
    assert.deepEqual(finishedWhileAwayNotice({ status: 'error', durationMs: 61_400 }, context), { level: 'warning', message: 'Cell 3 of train.ipynb failed (error) after 1.0 min.' });
    assert.deepEqual(finishedWhileAwayNotice({ status: 'died', durationMs: 45_000 }, { ...context, thresholdSeconds: 30 }), { level: 'warning', message: 'Cell 3 of train.ipynb failed (died) after 45 s.' });
    assert.equal(finishedWhileAwayNotice({ status: 'ok', durationMs: 59_000 }, context), undefined, 'short');
    assert.equal(finishedWhileAwayNotice({ status: 'ok', durationMs: 750_000 }, { ...context, windowFocused: true }), undefined, 'watched');
    assert.equal(finishedWhileAwayNotice({ status: 'ok', durationMs: 750_000 }, { ...context, thresholdSeconds: 0 }), undefined, 'turned off');
  });

  it('sends a local kernel\'s folder relative to the file system root, on POSIX and Windows', () => {
    assert.equal(kernelFolder('/home/me/project/notebooks', posix), 'home/me/project/notebooks');
    assert.equal(kernelFolder('/', posix), '');
    assert.equal(kernelFolder('C:\\Users\\me\\My Project', win32), 'Users/me/My Project');
  });
});

describe('kernel inspection (core)', () => {
  it('is one Python expression that defines nothing in the user namespace', () => {
    assert.match(INSPECT_EXPRESSION, /^\(lambda d: \(exec\(/);
    assert.doesNotMatch(INSPECT_EXPRESSION, /\n/);
  });

  it('parses a reply and says clearly when the kernel could not run it', () => {
    const reply = {
      user_expressions: {
        inspection: { status: 'ok', data: { 'text/plain': JSON.stringify({ pid: 5, host: 'h', python: 'p', cwd: '/', variables: [], total: 0 }) } },
      },
    };
    assert.equal(parseInspectionReply(reply).pid, 5);
    assert.throws(() => parseInspectionReply({ user_expressions: { inspection: { status: 'error', ename: 'NameError', evalue: 'x' } } }), /NameError: x/);
    assert.throws(() => parseInspectionReply({}), /no inspection/);
  });

  it('describes a tensor the way an ML engineer reads it', () => {
    assert.equal(
      describeVariable({ name: 'x', type: 'torch.Tensor', shape: [64, 3, 224, 224], dtype: 'torch.float32', device: 'cuda:0', bytes: 38_535_168 }),
      '(64, 3, 224, 224) float32 cuda:0 37 MB',
    );
    assert.equal(describeVariable({ name: 'm', type: 'torch.ResNet', parameters: 11_689_512, device: 'cpu' }), '11.7M params');
  });
});

describe('images for the model', () => {
  it('passes only the images that arrived after the cursor, at most two, and none too large', async () => {
    const { imagesAfter } = await import('../../src/kernels/summarizeOutputs');
    const acc = new OutputAccumulator();
    const png = (n: number) => msg('display_data', { data: { 'image/png': `iVBORw0KGgo${'A'.repeat(n)}`, 'text/plain': '<Figure>' }, metadata: {} });
    acc.apply(png(10));
    const first = summarizeOutputs(acc.outputs, 1000);
    assert.equal(imagesAfter(acc.outputs, { index: 0, offset: 0 }).length, 1);
    acc.apply(msg('stream', { name: 'stdout', text: 'epoch 2\n' }));
    acc.apply(png(20));
    acc.apply(png(30));
    acc.apply(png(300_000));
    const fresh = imagesAfter(acc.outputs, first.cursor);
    assert.deepEqual(fresh.map((i) => i.data.length), [31, 41], 'the two after the cursor, not the one already read');
    assert.deepEqual(imagesAfter(acc.outputs, { index: 4, offset: 0 }), [], 'an image over the size limit stays described only');
  });

  it('counts an image as about 1,600 tokens whatever its base64 length', async () => {
    const { estimateTokens } = await import('../../src/agent/contextBudget');
    const withImage = (chars: number) =>
      estimateTokens([
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(chars) } }] }] },
      ]);
    assert.equal(withImage(200_000), withImage(50_000));
    assert.ok(withImage(200_000) > 1_600 && withImage(200_000) < 1_800);
  });
});
