import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Reads a MODEL_CARD.md back the way a reviewer would: the front matter, the body, the Sources
// footnotes (each a title and a quoted line), and checks that every number the body states is
// one its footnotes quote. The quotes themselves are checked against the tools by the caller.

export interface Footnote {
  readonly title: string;
  readonly quote: string;
}

export interface ParsedCard {
  readonly front: string;
  readonly body: readonly string[];
  readonly footnotes: ReadonlyMap<number, Footnote>;
  /** The bullets of "## Not found". */
  readonly notFound: readonly string[];
  /** One section's lines, title without "## ". */
  section(title: string): string[];
}

const CODE_SPAN = /(`+) ?(.*?) ?\1(?!`)/g;
const NUMBER = /\d+(?:[.,]\d+)*/g;

export function parseCard(markdown: string): ParsedCard {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(markdown);
  assert.ok(match, 'the card starts with YAML front matter');
  const [bodyText, sourcesText = ''] = match[2]!.split('\n## Sources\n');
  const footnotes = new Map<number, Footnote>();
  for (const line of sourcesText.split('\n').filter(Boolean)) {
    const note = /^\[\^(\d+)\]: (.+): (`+) ?(.*?) ?\3$/.exec(line);
    assert.ok(note, `a footnote names its source and quotes one line: ${line}`);
    footnotes.set(Number(note[1]), { title: note[2]!, quote: note[4]! });
  }
  const body = bodyText!.split('\n');
  const section = (title: string): string[] => {
    const start = body.indexOf(`## ${title}`);
    if (start < 0) return [];
    const end = body.findIndex((l, i) => i > start && l.startsWith('## '));
    return body.slice(start + 1, end < 0 ? undefined : end).filter((l) => l.trim());
  };
  return { front: match[1]!, body, footnotes, notFound: section('Not found').map((l) => l.replace(/^- /, '')), section };
}

/** Every number on a body line (outside code spans) is among the numbers of the lines its footnotes quote. */
export function assertEveryNumberSourced(card: ParsedCard): number {
  let checked = 0;
  for (const line of card.body) {
    const markers = [...line.matchAll(/\[\^(\d+)\]/g)].map((m) => Number(m[1]));
    const said = line.replace(/\[\^\d+\]/g, '').replace(CODE_SPAN, '');
    const numbers = said.match(NUMBER) ?? [];
    if (numbers.length === 0) continue;
    assert.ok(markers.length > 0, `a number without a source: ${line}`);
    const quoted = new Set(
      markers.flatMap((n) => {
        const note = card.footnotes.get(n);
        assert.ok(note, `footnote [^${n}] is defined`);
        return note.quote.match(NUMBER) ?? [];
      }),
    );
    for (const n of numbers) {
      assert.ok(quoted.has(n), `${n} is not in the lines its footnotes quote: ${line}`);
      checked++;
    }
  }
  return checked;
}

/**
 * A footnote citing load_test (`load_test \`APP\` at TIME`): the record load_test kept in APP's
 * logs/load_tests.jsonl at that time holds the quoted line, and was measured on a server serving the
 * carded file as it is now (the same SHA-256). `root` is what the card's paths are relative to.
 */
export function assertLoadTestQuote(root: string, modelSha256: string, title: string, quote: string): void {
  const m = /^load_test `(.+)` at (\S+)$/.exec(title);
  assert.ok(m, `a load_test footnote names the app folder and the time: ${title}`);
  const records = readFileSync(join(root, m[1]!, 'logs', 'load_tests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: string; text: string; models: { sha256: string }[] });
  const record = records.find((r) => r.at === m[2]);
  assert.ok(record, `no load test at ${m[2]} in ${m[1]}`);
  assert.ok(record.models.some((x) => x.sha256 === modelSha256), `the load test at ${m[2]} served another version of the model`);
  assert.ok(record.text.split('\n').map((l) => l.trim()).includes(quote), `${quote} is not a line of the load test at ${m[2]}`);
  const ofModel = records.filter((r) => r.models.some((x) => x.sha256 === modelSha256));
  assert.equal(record.at, ofModel.map((r) => r.at).sort().at(-1), 'the card cites the latest load test of the model');
}
