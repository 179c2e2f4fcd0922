/**
 * `@path` and `@selection` in a message: the text the user wrote stays as it is, and the
 * mentioned files (or the editor selection) are attached after it for the model.
 */
export interface MentionSources {
  readFile(path: string): Promise<string>;
  readonly selection: { path: string; startLine: number; text: string } | undefined;
}

const MENTION = /(?:^|\s)@([\w./-]+[\w/-])/g;
const MAX_ATTACHED = 100_000;

export async function expandMentions(text: string, sources: MentionSources): Promise<string> {
  const names = [...new Set([...text.matchAll(MENTION)].map((m) => m[1]!))];
  if (names.length === 0) return text;
  const attachments: string[] = [];
  let budget = MAX_ATTACHED;
  for (const name of names) {
    if (name === 'selection') {
      if (sources.selection) {
        const s = sources.selection;
        attachments.push(`<selection path="${s.path}" start_line="${s.startLine}">\n${s.text.slice(0, budget)}\n</selection>`);
        budget -= s.text.length;
      }
      continue;
    }
    try {
      const content = await sources.readFile(name);
      const shown = content.length > budget ? `${content.slice(0, Math.max(0, budget))}\n[… cut: ${content.length - budget} more characters; use read_file]` : content;
      attachments.push(`<file path="${name}">\n${shown}\n</file>`);
      budget -= shown.length;
    } catch (error) {
      attachments.push(`<file path="${name}" error="${(error as Error).message.replace(/"/g, "'")}" />`);
    }
    if (budget <= 0) break;
  }
  return attachments.length ? `${text}\n\n${attachments.join('\n\n')}` : text;
}

/**
 * Files offered for `@query`, best first: a name that starts with the query, then one that holds
 * it, then a path that holds it; shallower and shorter paths first among equals (`@trai` offers
 * train.py before mlruns/…/metrics/train_loss). The search itself returns files in no useful order.
 */
export function rankMentions(query: string, paths: readonly string[], limit = 20): string[] {
  const q = query.toLowerCase();
  const score = (path: string): number => {
    const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
    return name.startsWith(q) ? 0 : name.includes(q) ? 1 : 2;
  };
  const depth = (path: string): number => path.split('/').length;
  return [...paths]
    .sort((a, b) => score(a) - score(b) || depth(a) - depth(b) || a.length - b.length || a.localeCompare(b))
    .slice(0, limit);
}
