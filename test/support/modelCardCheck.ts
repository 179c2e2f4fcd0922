import * as assert from 'node:assert/strict';

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
