// Where each number of a model card comes from. A source is the text a tool returned (the model's
// inspection, a run's record, a benchmark, a drift report); the card states a number only by
// quoting the source line that holds it in a footnote, so every figure can be found again.

export interface CardSource {
  /** What produced the text, as the footnote names it: "inspect_model examples/models/m.onnx". */
  readonly title: string;
  /** The tool's output, line by line as the tool returned it. */
  readonly text: string;
}

interface Note {
  readonly source: CardSource;
  readonly line: string;
}

/** A Markdown code span holding `text` whatever backticks it contains (CommonMark: a longer fence, padded). */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || longest > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** The footnotes of one card, numbered in the order they are first cited. */
export class Citations {
  private readonly notes: Note[] = [];

  /**
   * The footnote marker for the first line of `source` that contains `needle` (or matches it),
   * with the line itself; undefined when no line does, so a caller cannot state what the tool did not return.
   */
  find(source: CardSource, needle: string | RegExp): { marker: string; line: string; match: RegExpMatchArray | undefined } | undefined {
    for (const raw of source.text.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      const match = typeof needle === 'string' ? (line.includes(needle) ? undefined : null) : line.match(needle);
      if (match === null) continue;
      return { marker: this.marker(source, line), line, match };
    }
    return undefined;
  }

  /** Markers only: `find` for callers that do not need the line. */
  cite(source: CardSource, needle: string | RegExp): string | undefined {
    return this.find(source, needle)?.marker;
  }

  private marker(source: CardSource, line: string): string {
    let index = this.notes.findIndex((n) => n.source === source && n.line === line);
    if (index < 0) index = this.notes.push({ source, line }) - 1;
    return `[^${index + 1}]`;
  }

  /** The footnote definitions: each names its source and quotes the line. */
  footnotes(): string[] {
    return this.notes.map((n, i) => `[^${i + 1}]: ${n.source.title}: ${codeSpan(n.line)}`);
  }
}
