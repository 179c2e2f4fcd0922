import { stripAnsi, type CellOutput, type MimeBundle } from './outputModel';

/** How far the agent has read an execution's outputs: whole outputs before `index`, `offset` characters into it. */
export interface ReadCursor {
  readonly index: number;
  readonly offset: number;
}

export const START: ReadCursor = { index: 0, offset: 0 };

/**
 * The outputs after `from`, as text for the model within `budget` characters: the head and the
 * tail of long text (the end of a training log says the most), images described by type and size.
 */
export function summarizeOutputs(outputs: readonly CellOutput[], budget: number, from: ReadCursor = START): { text: string; cursor: ReadCursor } {
  const parts: string[] = [];
  let start = from;
  if (from.index > outputs.length) {
    parts.push('[outputs were cleared since the last read]');
    start = START;
  }
  for (let i = start.index; i < outputs.length; i++) {
    const output = outputs[i]!;
    const skip = i === start.index ? start.offset : 0;
    const text = outputText(output);
    if (skip > text.length) parts.push(text); // a stream rewritten by \r or cleared: show it whole
    else if (skip < text.length) parts.push(text.slice(skip));
  }
  const last = outputs[outputs.length - 1];
  const cursor: ReadCursor = last ? { index: outputs.length - 1, offset: outputText(last).length } : START;
  return { text: fitBudget(parts.join(''), budget), cursor };
}

export function outputText(output: CellOutput): string {
  switch (output.type) {
    case 'stream':
      return output.name === 'stderr' ? `[stderr] ${output.text}` : output.text;
    case 'error':
      return `${output.ename}: ${output.evalue}\n${stripAnsi(output.traceback.join('\n'))}\n`;
    default:
      return bundleText(output.data) + '\n';
  }
}

function bundleText(data: MimeBundle): string {
  const images = Object.keys(data).filter((m) => m.startsWith('image/'));
  const described = images.map((mime) => describeImage(mime, data[mime]));
  const plain = data['text/plain'];
  const markdown = data['text/markdown'];
  const html = data['text/html'];
  let text: string | undefined;
  if (typeof markdown === 'string') text = markdown;
  else if (typeof plain === 'string' && !(images.length > 0 && /^<Figure size/.test(plain))) text = plain;
  else if (typeof html === 'string') text = `[html] ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()}`;
  else if (data['application/json'] !== undefined) text = JSON.stringify(data['application/json']);
  const other = Object.keys(data).filter((m) => !m.startsWith('image/') && !m.startsWith('text/') && m !== 'application/json');
  if (!text && described.length === 0 && other.length > 0) text = `[${other.join(', ')} output]`;
  return [...described, ...(text ? [stripAnsi(text)] : [])].join('\n');
}

function describeImage(mime: string, value: unknown): string {
  if (typeof value !== 'string') return `[${mime} image]`;
  if (mime === 'image/svg+xml') return `[image/svg+xml image, ${value.length} characters]`;
  const bytes = Math.floor((value.replace(/\s/g, '').length * 3) / 4);
  const size = mime === 'image/png' ? pngSize(value) : undefined;
  return `[${mime} image${size ? ` ${size.width}x${size.height}` : ''}, ${(bytes / 1024).toFixed(1)} KB]`;
}

/** Width and height from a base64 PNG's IHDR chunk (bytes 16-23). */
export function pngSize(base64: string): { width: number; height: number } | undefined {
  const head = Buffer.from(base64.slice(0, 48), 'base64');
  if (head.length < 24 || head.readUInt32BE(0) !== 0x89504e47) return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/** Keeps the first 30 % and the last 70 % of text longer than `budget`, with what was cut in between. */
export function fitBudget(text: string, budget: number): string {
  if (text.length <= budget) return text;
  const headLength = Math.floor(budget * 0.3);
  const tailLength = budget - headLength;
  const cut = text.length - headLength - tailLength;
  return `${text.slice(0, headLength)}\n[... ${cut} characters not shown ...]\n${text.slice(text.length - tailLength)}`;
}

const MODEL_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/**
 * Images in the outputs after `from` for the model to look at (a loss curve, a confusion
 * matrix): at most `limit`, each under `maxChars` of base64; larger ones stay described only.
 */
export function imagesAfter(
  outputs: readonly CellOutput[],
  from: ReadCursor,
  limit = 2,
  maxChars = 200_000,
): { mediaType: (typeof MODEL_IMAGE_TYPES)[number]; data: string }[] {
  const found: { mediaType: (typeof MODEL_IMAGE_TYPES)[number]; data: string }[] = [];
  const start = from.index > outputs.length ? 0 : from.offset > 0 ? from.index + 1 : from.index;
  for (let i = start; i < outputs.length && found.length < limit; i++) {
    const output = outputs[i]!;
    if (output.type !== 'display_data' && output.type !== 'execute_result') continue;
    for (const mediaType of MODEL_IMAGE_TYPES) {
      const data = output.data[mediaType];
      if (typeof data === 'string' && data.length <= maxChars) {
        found.push({ mediaType, data: data.replace(/\s/g, '') });
        break;
      }
    }
  }
  return found;
}
