/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { JSDOM } from 'jsdom';
import { codeBlocksIn, codeDigest, MARKDOWN_OPTIONS } from '../../src/chat/codeBlocks';
import { findCodeBlock, lexMarkdown as hostLex } from '../../src/chat/lazy/markdownLexer';
import type { FromWebview } from '../../src/chat/protocol';
import { layOutSql } from '../../src/chat/sqlLayout';
import { applyAgentEvent, type TranscriptItem } from '../../src/chat/transcript';
import type * as CodeBlockViewModule from '../../media/chat/codeBlockView';
import type * as MarkdownViewModule from '../../media/chat/markdownView';
import type * as TranscriptViewModule from '../../media/chat/transcriptView';

// The chat's render path in a real DOM (jsdom) with the real libraries (marked, DOMPurify,
// highlight.js): hostile model output stays inert and visible, the code a block shows is the code
// the host copies or runs, and drawing a message delta by delta ends where drawing it whole does.

// Imported in `before`, once a DOM exists for them (they use `window` when they load).
let MarkdownView: typeof MarkdownViewModule.MarkdownView;
let drawItem: typeof TranscriptViewModule.drawItem;
let drawCodeBlock: typeof CodeBlockViewModule.drawCodeBlock;

const corpora = join(__dirname, '..', '..', '..', 'shared', 'corpora');
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const repoRoot = join(__dirname, '..', '..');

/** The attributes and tags model HTML may keep (media/chat/sanitizer.ts). */
const MODEL_ATTRS = new Set(['href', 'title', 'align', 'start']);
const MODEL_TAGS = new Set(['A', 'B', 'BLOCKQUOTE', 'BR', 'CODE', 'DEL', 'DIV', 'EM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HR', 'I', 'KBD', 'LI', 'OL', 'P', 'PRE', 'S', 'SPAN', 'STRONG', 'SUB', 'SUP', 'TABLE', 'TBODY', 'TD', 'TH', 'THEAD', 'TR', 'UL']);

function view(final = true): InstanceType<typeof MarkdownView> {
  return new MarkdownView((block, isFinal) => drawCodeBlock(block, { highlight: isFinal && final }));
}

/** Streams `first` then `then`, checks it draws as `then` streamed at once, and returns that drawing. */
function streamedThenOnce(first: string, then: string): HTMLElement {
  const streamed = view(false);
  streamed.stream(first);
  streamed.stream(then);
  const once = view(false);
  once.stream(then);
  assert.equal(streamed.element.innerHTML, once.element.innerHTML, `${JSON.stringify(first)} then ${JSON.stringify(then)}`);
  return once.element;
}

function rendered(markdown: string): HTMLElement {
  const v = view();
  v.finish(markdown);
  return v.element;
}

/** Elements that came from the model's Markdown/HTML (not the code blocks we draw ourselves). */
function modelElements(root: HTMLElement): Element[] {
  return Array.from(root.querySelectorAll('*')).filter((e) => !e.closest('.code-block'));
}

function comments(root: Node): number {
  const walker = root.ownerDocument!.createTreeWalker(root, 128 /* NodeFilter.SHOW_COMMENT */);
  let count = 0;
  while (walker.nextNode()) count++;
  return count;
}

/** The code each drawn block shows, as text (an invisible character's badge holds the character itself). */
function shownCode(root: HTMLElement): string[] {
  return Array.from(root.querySelectorAll('.code-block pre code')).map((c) => c.textContent ?? '');
}

function hostCode(markdown: string): string[] {
  return codeBlocksIn(hostLex(markdown)).map((b) => b.code);
}

/** Real Markdown written by people: this repository's docs and the corpus notebooks' Markdown cells. */
function realMarkdown(): string[] {
  const docs = ['README.md', 'CHANGELOG.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].map((f) => readFileSync(join(repoRoot, f), 'utf8'));
  const cells: string[] = [];
  for (const file of readdirSync(join(corpora, 'notebooks')).filter((f) => f.endsWith('.ipynb'))) {
    const notebook = JSON.parse(readFileSync(join(corpora, 'notebooks', file), 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
    for (const cell of notebook.cells) if (cell.cell_type === 'markdown') cells.push(Array.isArray(cell.source) ? cell.source.join('') : cell.source);
  }
  return [...docs, cells.join('\n\n')];
}

/** Pieces of answers, friendly and hostile, that the property tests put together. */
const PIECES = [
  'Start with a **baseline** and _then_ compare.\n',
  '\n',
  '\n\n',
  '```python\nfrom sklearn.dummy import DummyClassifier\nbaseline = DummyClassifier()\n```\n',
  '```bash\npip install torch\n```\n',
  '~~~\nplain fence\n~~~\n',
  '    indented = "code"\n',
  '- one\n- two\n  ```py\n  nested = True\n  ```\n- three\n',
  '1. first\n2. second\n\n   continued\n',
  '> quoted\n> ```sql\n> select 1\n> ```\n',
  '| a | b |\n|---|:-:|\n| 1 | 2 |\n',
  '# Heading\n',
  'Setext\n---\n',
  '***\n',
  'See [the docs](https://example.com/docs "Docs") and <https://example.com>.\n',
  '[ref]: https://example.com/ref\n',
  'A [reference][ref] link.\n',
  '<span hidden>; import os; os.system("rm -rf ~")</span>\n',
  '<details><summary>More</summary>\n\n```python\nhidden_in_details()\n```\n\n</details>\n',
  '<!-- a comment with ```python\nin_comment()\n``` inside -->\n',
  '<div style="display:none">\n\n```python\nin_hidden_div()\n```\n\n</div>\n',
  '<pre>print(1)<span hidden>; evil()</span></pre>\n',
  '```python\nprint("a")<span hidden>;evil()</span>\n```\n',
  '```\nbidi \u202Eevil\u202C and zero\u200Bwidth\n```\n',
  '- [ ] task\n- [x] done\n',
  '![alt text](https://example.com/x.png)\n',
  '<svg><text>svg text</text></svg>\n',
  'trailing text without newline',
];

/** Prose streamed a few characters at a time, with what can turn plain words into something else. */
const PROSE = [
  'Plain words, and more words with commas ',
  'Is it "quoted" or it\'s not? Yes! 100% - about $5 + tax = more ',
  '- a list item with words  ',
  '1. numbered words ',
  '# A heading with words ',
  '> quoted words and more ',
  'visit www.example.com, then more words ',
  'see www.example.org? yes and ',
  'https://example.com/path then words ',
  'mail a@b.co now or a@b later ',
  '&amp words &copy and &#169 ',
  '*emphasis* and _under_score_ and **strong**words ',
  'snake_case_name and 2*3*4 ',
  '`code span` words `unclosed ',
  '<b>bold</b> words <i>open ',
  'trailing spaces   ',
  'a [link](https://example.com) then words ',
  '\n',
  '\n\n',
  '  \n',
];

describe('chat rendering: sanitising, code blocks, incremental Markdown (jsdom)', function () {
  this.timeout(60_000 + RUNS * 3_000);

  before(async () => {
    const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
    Object.assign(globalThis, { window: dom.window, document: dom.window.document, NodeFilter: dom.window.NodeFilter });
    ({ MarkdownView } = await import('../../media/chat/markdownView'));
    ({ drawItem } = await import('../../media/chat/transcriptView'));
    ({ drawCodeBlock } = await import('../../media/chat/codeBlockView'));
  });

  it('shows text a model tried to hide, keeping no attribute or tag that hides, styles or scripts', () => {
    const root = rendered(
      [
        'a <span hidden>secret-1</span>',
        '<div style="display:none">secret-2</div>',
        '<span style="font-size:0">secret-3</span> <font size="0">secret-4</font>',
        '<details><summary>More</summary>secret-5</details>',
        '<span aria-hidden="true">secret-6</span> <span class="hidden">secret-7</span> <div popover>secret-8</div>',
        '<p id="root" dir="rtl" data-x="1" tabindex="0" onclick="x()">secret-9</p>',
        '<table><tr><td style="color:transparent">secret-10</td></tr></table>',
        '<textarea>secret-11</textarea> <select><option>secret-12</option></select>',
        '<!-- comment-hidden --> <style>.x{display:none}</style> <template>template-hidden</template>',
        '<svg><text>svg-hidden</text><script>alert(1)</script></svg> <math><mi>math-hidden</mi></math>',
        '<img src="data:image/svg+xml,<svg onload=alert(1)>" alt="img"> <iframe src="https://example.com"></iframe> <object data="x"></object> <embed src="x">',
        '<form action="https://example.com"><input type="hidden" value="v"><button formaction="x">b</button></form>',
      ].join('\n\n'),
    );
    const text = root.textContent ?? '';
    for (let i = 1; i <= 12; i++) assert.ok(text.includes(`secret-${i}`), `secret-${i} is shown`);
    for (const gone of ['comment-hidden', 'template-hidden', 'svg-hidden', 'math-hidden', 'alert(1)', '.x{display:none}']) assert.ok(!text.includes(gone), `${gone} is gone`);
    assert.equal(comments(root), 0, 'no comments');
    for (const e of modelElements(root)) {
      assert.ok(MODEL_TAGS.has(e.tagName), `tag ${e.tagName}`);
      for (const a of Array.from(e.attributes)) assert.ok(MODEL_ATTRS.has(a.name), `attribute ${a.name} on ${e.tagName}`);
    }
  });

  it('keeps http(s) links only: no javascript:, data:, vbscript: or file: targets, from Markdown or HTML', () => {
    const root = rendered(
      '[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](data:text/html,<script>alert(1)</script>) [d](vbscript:x) [e](file:///etc/passwd)\n\n' +
        '<a href="javascript:alert(1)">f</a> <a href=" javascript:alert(1)">g</a> <a href="data:text/html;base64,PHNjcmlwdD4=">h</a>\n\n' +
        '[ok](https://example.com/a) <a href="http://example.com/b">ok2</a>',
    );
    const hrefs = Array.from(root.querySelectorAll('a')).map((a) => a.getAttribute('href'));
    assert.deepEqual(
      hrefs.filter((h) => h !== null),
      ['https://example.com/a', 'http://example.com/b'],
    );
  });

  it('draws a fenced block from its token: HTML inside it is shown as text and is in the code', () => {
    const markdown = 'Run:\n\n```python\nprint("hi")<span hidden>; import os; os.system("rm -rf ~")</span>\n```\n';
    const root = rendered(markdown);
    assert.deepEqual(shownCode(root), ['print("hi")<span hidden>; import os; os.system("rm -rf ~")</span>']);
    assert.deepEqual(hostCode(markdown), shownCode(root));
    assert.equal(root.querySelectorAll('.code-block pre code span[hidden]').length, 0);
  });

  it('gives a model-written <pre> (HTML, not a code block) no code actions, and shows its hidden part', () => {
    const root = rendered('<pre>print(1)<span hidden>; evil()</span></pre>\n\n<pre data-mle-code="00000000000000000000000000000000:0">forged</pre>');
    assert.equal(root.querySelectorAll('.code-block').length, 0, 'no code block, so no Copy / Insert / Run');
    assert.equal(root.querySelectorAll('[data-mle-code]').length, 0, 'the forged placeholder attribute is gone');
    assert.match(root.textContent ?? '', /print\(1\); evil\(\)/);
    assert.match(root.textContent ?? '', /forged/);
    assert.deepEqual(hostCode('<pre>print(1)<span hidden>; evil()</span></pre>'), [], 'the host finds no code there either');
  });

  it('marks invisible and bidirectional characters in code, and keeps them in the code', () => {
    const code = 'access = "user\u202E \u2066// admin\u2069 \u2066"\nzero\u200Bwidth\u{E0041}';
    const root = rendered(`\`\`\`python\n${code}\n\`\`\``);
    const badges = Array.from(root.querySelectorAll('.invisible-char')).map((b) => b.getAttribute('data-char'));
    assert.deepEqual(badges, ['U+202E', 'U+2066', 'U+2069', 'U+2066', 'U+200B', 'U+E0041']);
    assert.deepEqual(shownCode(root), [code]);
  });

  it('draws images as their alt text and task items as characters (nothing loads, no inputs)', () => {
    const root = rendered('![a chart](https://example.com/chart.png)\n\n- [x] done\n- [ ] todo');
    assert.equal(root.querySelectorAll('img, input').length, 0);
    assert.match(root.textContent ?? '', /a chart/);
    assert.match(root.textContent ?? '', /☑ done/);
    assert.match(root.textContent ?? '', /☐ todo/);
  });

  it('Copy / Insert / Run send the block by digest; the host finds exactly the code shown, from its own Markdown', () => {
    const text = 'Two blocks:\n\n```python\nsafe()\n```\n\n<div hidden>\n\n```python\nhidden_block()\n```\n\n</div>\n\n```bash\nls\n```';
    const item: TranscriptItem = { kind: 'assistant', id: 'turn-1', text, streaming: false };
    const sent: FromWebview[] = [];
    const drawn = drawItem(item, (m) => sent.push(m));
    const blocks = Array.from(drawn.element.querySelectorAll('.code-block'));
    assert.equal(blocks.length, 3, 'the block inside the hidden div is drawn, and shown');
    assert.deepEqual(
      blocks.map((b) => Array.from(b.querySelectorAll('.code-actions button')).map((x) => x.textContent)),
      [['Copy', 'Insert', 'Insert as cell', 'Run in kernel'], ['Copy', 'Insert', 'Insert as cell', 'Run in kernel'], ['Copy', 'Insert', 'Insert as cell']],
    );
    for (const block of blocks) for (const button of Array.from(block.querySelectorAll('button'))) button.click();
    assert.equal(sent.length, 11);
    for (const message of sent) {
      assert.equal(message.type, 'codeAction');
      if (message.type !== 'codeAction') continue;
      assert.equal(message.itemId, 'turn-1');
      assert.ok(!('code' in message), 'no code travels from the webview');
    }
    const found = sent.map((m) => (m.type === 'codeAction' ? findCodeBlock([item], m.itemId, m.digest, hostLex)?.code : undefined));
    assert.deepEqual(found, ['safe()', 'safe()', 'safe()', 'safe()', 'hidden_block()', 'hidden_block()', 'hidden_block()', 'hidden_block()', 'ls', 'ls', 'ls']);
    assert.deepEqual(shownCode(drawn.element), ['safe()', 'hidden_block()', 'ls']);
  });

  it('an approval card says what "for this chat" covers: this same call, or any call of the tool', () => {
    const card = (name: string, allowCovers: 'same' | 'any'): string[] => {
      const item: TranscriptItem = { kind: 'tool', id: `c-${name}`, name, risk: 'execute', title: name, input: '{}', status: 'awaiting-approval', hasDiff: false, allowCovers };
      return Array.from(drawItem(item, () => undefined).element.querySelectorAll('.actions button')).map((b) => b.textContent ?? '');
    };
    assert.deepEqual(card('run_in_kernel', 'same'), ['Allow once', 'Allow this again in this chat', 'Deny']);
    assert.deepEqual(card('restart_kernel', 'any'), ['Allow once', 'Allow any restart_kernel in this chat', 'Deny']);
  });

  it("query_dataset's card shows its whole SQL, laid out, while it waits, runs and after; no Insert as cell", () => {
    const where = Array.from({ length: 30 }, (_, i) => `c${i} <> 'x from y'`).join(' AND ');
    const sql = `SELECT label, count(*) AS n FROM 'data/train.csv' WHERE ${where} GROUP BY 1 ORDER BY n DESC LIMIT 10`;
    const items: TranscriptItem[] = [];
    applyAgentEvent(items, { type: 'toolCall', turnId: 't', callId: 'q1', name: 'query_dataset', input: { sql }, risk: 'read', confirmation: 'Query data' });
    const card = (): HTMLElement => drawItem(items[0]!, () => undefined).element;
    const laidOut = `SELECT label, count(*) AS n\nFROM 'data/train.csv'\nWHERE ${where}\nGROUP BY 1\nORDER BY n DESC\nLIMIT 10`;
    for (const status of ['pending', 'awaiting-approval', 'running', 'done'] as const) {
      if (status !== 'pending') applyAgentEvent(items, { type: 'toolStatus', callId: 'q1', status, ...(status === 'done' ? { summary: '1 row', output: '1 row' } : {}) });
      const code = card().querySelector('pre.tool-code');
      assert.equal(code?.textContent, laidOut, status);
      assert.equal(code?.getAttribute('data-language'), 'sql');
      assert.ok(![...card().querySelectorAll('button')].some((b) => b.textContent === 'Insert as cell'), status);
    }
    assert.equal(findCodeBlock(items, 'q1', codeDigest(laidOut), hostLex)?.language, 'sql');
    assert.equal(findCodeBlock(items, 'q1', codeDigest(laidOut), hostLex, (b) => b.language === 'python'), undefined, 'never run in the kernel');
    // Only whitespace between tokens changes: not in strings, quoted names or comments; written lines stay.
    assert.equal(layOutSql(`SELECT "a from" FROM t WHERE s = 'it''s where' /* from x */ AND (SELECT 1 FROM u) > 0 -- ORDER BY z`), `SELECT "a from"\nFROM t\nWHERE s = 'it''s where' /* from x */ AND (SELECT 1 FROM u) > 0 -- ORDER BY z`);
    assert.equal(layOutSql('SELECT 1\nFROM t WHERE x'), 'SELECT 1\nFROM t WHERE x');
    assert.equal(layOutSql("SELECT 'open FROM t"), "SELECT 'open FROM t");
    assert.equal(layOutSql('SELECT a FROM t LEFT OUTER JOIN u USING (a) WHERE a IS DISTINCT FROM 1 UNION ALL SELECT 2'), 'SELECT a\nFROM t\nLEFT OUTER JOIN u USING (a)\nWHERE a IS DISTINCT FROM 1\nUNION ALL SELECT 2');
  });

  it('the host finds a block by digest only in its stored Markdown, Python only for the kernel', () => {
    const items: TranscriptItem[] = [
      { kind: 'assistant', id: 'a', text: '```bash\necho same\n```', streaming: false },
      { kind: 'assistant', id: 'b', text: '```python\necho same\n```', streaming: false },
      { kind: 'tool', id: 'call-1', name: 'run_in_kernel', risk: 'execute', title: 'Run', input: '{}', status: 'done', hasDiff: false, code: 'x = 1' },
    ];
    const digest = codeDigest('echo same');
    assert.equal(findCodeBlock(items, 'a', digest, hostLex)?.language, 'bash');
    assert.equal(findCodeBlock(items, 'a', digest, hostLex, (b) => b.language === 'python')?.language, 'python', 'the Python copy, for Run in kernel');
    assert.equal(findCodeBlock(items, 'no-such-id', digest, hostLex)?.code, 'echo same', 'found in another item when ids differ');
    assert.equal(findCodeBlock(items, 'call-1', codeDigest('x = 1'), hostLex)?.code, 'x = 1');
    assert.equal(findCodeBlock(items, 'a', codeDigest('rm -rf ~'), hostLex), undefined, 'code the conversation never held is refused');
    assert.equal(findCodeBlock(items, 'a', codeDigest('echo same\n'), hostLex), undefined, 'a digest names the exact code');
  });

  it('shows, in real and hostile Markdown, exactly the code blocks the host finds', () => {
    const docs = [...realMarkdown(), PIECES.join('\n')];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 12 }), (pieces) => {
        docs.push(pieces.join(''));
        return true;
      }),
      { numRuns: RUNS * 2 },
    );
    for (const doc of docs) assert.deepEqual(shownCode(rendered(doc)), hostCode(doc), doc.slice(0, 200));
  });

  it('draws a streamed message delta by delta as it draws the same text at once, and ends the same', () => {
    const corpus = realMarkdown();
    const doc = fc.oneof(
      fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 10 }).map((p) => p.join('')),
      fc.constantFrom(...corpus).chain((text) => fc.nat(Math.max(0, text.length - 1500)).map((at) => text.slice(at, at + 1500))),
    );
    const plan = doc.chain((text) => fc.tuple(fc.constant(text), fc.uniqueArray(fc.nat(text.length), { maxLength: 12 }).map((cuts) => [...cuts.sort((a, b) => a - b), text.length])));
    fc.assert(
      fc.property(plan, ([text, cuts]) => {
        const streamed = view(false);
        for (const cut of cuts) {
          streamed.stream(text.slice(0, cut));
          // A reference link used before its definition arrived stays text until the message ends
          // (its block was closed and kept); everything else must match at every step.
          if (Object.keys(hostLex(text.slice(0, cut)).links).length > 0) continue;
          const once = view(false);
          once.stream(text.slice(0, cut));
          assert.equal(streamed.element.innerHTML, once.element.innerHTML, `after ${cut} of ${JSON.stringify(text.slice(0, 300))}`);
        }
        streamed.finish(text);
        const whole = view(false);
        whole.finish(text);
        assert.equal(streamed.element.innerHTML, whole.element.innerHTML);
      }),
      { numRuns: RUNS },
    );
  });

  it('lexes again when plain letters finish a tag name that starts an HTML block (found by the property above)', () => {
    // `<d` is a paragraph; `<details` at a line's start is an HTML block, drawn as nothing.
    for (const [first, then] of [['<d', '<details'], ['text\n<di', 'text\n<div'], ['- <de', '- <details']]) streamedThenOnce(first!, then!);
  });

  it('keeps the block before the open one open when the open line may yet continue it (found by the property above)', () => {
    // `*` alone is an empty item of a new list; `**` is a lazy line of the item above it, which therefore changes.
    const lazy = [['- [ ] task\n- [x] done\n*', '- [ ] task\n- [x] done\n**'], ['> quote\n*', '> quote\n**'], ['| a |\n| - |\n*', '| a |\n| - |\n**'], ['text\n#', 'text\n#x']];
    for (const [first, then] of lazy) streamedThenOnce(first!, then!);
    assert.match(streamedThenOnce(lazy[0]![0]!, lazy[0]![1]!).innerHTML, /done\n\*\*<\/li>/);
  });

  it('lexes again when a mark makes a table delimiter row, or a word a list item under a paragraph (found by the properties)', () => {
    // `| --- | ` is a paragraph's text; one more `-` makes `| --- | -` the delimiter row of a table.
    for (const [first, then] of [['| command | what |\n| --- | ', '| command | what |\n| --- | -'], ['a | b\n--- | ', 'a | b\n--- | -'], ['yes and \n1. ', 'yes and \n1. n'], ['text\n- ', 'text\n- a']]) {
      assert.ok(streamedThenOnce(first!, then!).querySelector('table, li'), 'drawn as a table or a list');
    }
  });

  it('draws prose streamed a few characters at a time as drawing it whole, step by step', () => {
    const plan = fc
      .array(fc.constantFrom(...PROSE, ...PIECES.slice(0, 3)), { minLength: 1, maxLength: 8 })
      .map((p) => p.join(''))
      .chain((text) => fc.tuple(fc.constant(text), fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 200 })));
    fc.assert(
      fc.property(plan, ([text, steps]) => {
        const streamed = view(false);
        let at = 0;
        for (const step of [...steps, text.length]) {
          at = Math.min(text.length, at + step);
          streamed.stream(text.slice(0, at));
          const once = view(false);
          once.stream(text.slice(0, at));
          assert.equal(streamed.element.innerHTML, once.element.innerHTML, `after ${at} of ${JSON.stringify(text)}`);
          if (at === text.length) break;
        }
        streamed.finish(text);
        const whole = view(false);
        whole.finish(text);
        assert.equal(streamed.element.innerHTML, whole.element.innerHTML);
      }),
      { numRuns: RUNS },
    );
  });

  it('appends a delta of plain words to the text already drawn, without drawing the block again', () => {
    for (const [before, after] of [
      ['Use k-fold cross', 'Use k-fold cross validation, with 5 folds'],
      ['- first item\n- second it', '- first item\n- second item and more '],
      ['# Title wo', '# Title words   and more'],
    ] as const) {
      const streamed = view(false);
      streamed.stream(before);
      const walker = document.createTreeWalker(streamed.element, NodeFilter.SHOW_TEXT);
      let last: Node | null = null;
      while (walker.nextNode()) last = walker.currentNode;
      streamed.stream(after);
      assert.ok(last && streamed.element.contains(last), `the drawn text stays in place for ${JSON.stringify(after)}`);
      const once = view(false);
      once.stream(after);
      assert.equal(streamed.element.innerHTML, once.element.innerHTML);
    }
    // Anything that may be Markdown draws the block again.
    const streamed = view(false);
    streamed.stream('Use k-fold cross');
    const first = streamed.element.querySelector('p')!.firstChild;
    streamed.stream('Use k-fold cross *validation*');
    assert.equal(!!first && streamed.element.contains(first), false);
    assert.equal(streamed.element.querySelector('em')?.textContent, 'validation');
  });

  it('uses the same Markdown options on both sides', () => {
    assert.deepEqual(MARKDOWN_OPTIONS, { gfm: true, breaks: false });
  });
});
