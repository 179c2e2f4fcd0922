/**
 * A notebook as the model should read it: cells with their index, type and source, outputs
 * summarised (text head and tail, images and other rich data named, never base64). The
 * content comes from the .ipynb file (parseIpynb) or, when the notebook is open, from the
 * editor's document with its unsaved edits (the adapter builds the same NotebookContent).
 */
export interface NotebookContent {
  readonly kernel?: string;
  /** Read from an open editor whose document has changes not yet saved. */
  readonly unsaved?: boolean;
  readonly cells: readonly NotebookContentCell[];
}

export interface NotebookContentCell {
  /** 'code', 'markdown' or 'raw'. */
  readonly kind: string;
  readonly source: string;
  readonly executionCount?: number;
  readonly outputs: readonly NotebookContentOutput[];
}

export type NotebookContentOutput =
  | { readonly type: 'stream'; readonly name: string; readonly text: string }
  | { readonly type: 'error'; readonly ename: string; readonly evalue: string; readonly traceback: readonly string[] }
  /** display_data / execute_result: each MIME type with its text (text-like types) and its size in bytes. */
  | { readonly type: 'data'; readonly items: readonly { readonly mime: string; readonly text?: string; readonly bytes: number }[] };

/** The notebook's JSON as read: any field may have any type in a damaged or hostile file. */
type Json = Record<string, unknown>;

const OUTPUT_CHARS = 1500;
/** A cell's source shown whole up to this (head and tail beyond): a pasted dataset must not fill the context. */
const SOURCE_CHARS = 20_000;
/** What one read returns at most; the rest is read from a later cell with start_cell. */
export const NOTEBOOK_READ_CHARS = 200_000;
// Terminal colour codes in tracebacks (ESC [ ... letter).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
/** nbformat stores these as base64 text; the editor holds their bytes. */
const BASE64_MIMES = /^image\/(png|jpeg|gif|webp|bmp)$/;

/** The .ipynb file's JSON as NotebookContent; throws with what is wrong when it is not a notebook. */
export function parseIpynb(json: string, displayPath: string): NotebookContent {
  let notebook: unknown;
  try {
    notebook = JSON.parse(json);
  } catch (error) {
    throw new Error(`${displayPath} is not valid notebook JSON: ${(error as Error).message}`, { cause: error });
  }
  const cells = objectOf(notebook)?.cells;
  if (!Array.isArray(cells)) throw new Error(`${displayPath} has no cells array: not an nbformat 4 notebook.`);
  const kernel = objectOf(objectOf(objectOf(notebook)?.metadata)?.kernelspec)?.display_name;
  return {
    ...(typeof kernel === 'string' ? { kernel } : {}),
    // A damaged cell or output is read as far as it makes sense, never failing the whole notebook.
    cells: cells.map((entry: unknown) => {
      const cell = objectOf(entry) ?? {};
      const count = cell.execution_count;
      const outputs = Array.isArray(cell.outputs) ? (cell.outputs as unknown[]) : [];
      return {
        kind: typeof cell.cell_type === 'string' ? cell.cell_type : 'unknown',
        source: joinText(cell.source),
        ...(typeof count === 'number' && count > 0 ? { executionCount: count } : {}),
        outputs: outputs.flatMap((output) => ipynbOutput(objectOf(output) ?? {})),
      };
    }),
  };
}

function objectOf(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

function ipynbOutput(output: Json): NotebookContentOutput[] {
  switch (output.output_type) {
    case 'stream':
      return [{ type: 'stream', name: str(output.name) || 'stdout', text: joinText(output.text) }];
    case 'error':
      return [{ type: 'error', ename: str(output.ename), evalue: str(output.evalue), traceback: Array.isArray(output.traceback) ? output.traceback.map(str) : [] }];
    case 'execute_result':
    case 'display_data':
      return [
        {
          type: 'data',
          items: Object.entries(objectOf(output.data) ?? {}).map(([mime, value]) => {
            const text = typeof value === 'string' || Array.isArray(value) ? joinText(value) : (JSON.stringify(value) ?? '');
            const bytes = BASE64_MIMES.test(mime) ? Math.floor((text.replace(/\s|=/g, '').length * 3) / 4) : Buffer.byteLength(text);
            return mime === 'text/plain' ? { mime, text, bytes } : { mime, bytes };
          }),
        },
      ];
    default:
      return [];
  }
}

/** Parses and summarises an .ipynb file's text. */
export function summariseNotebook(json: string, displayPath: string, options?: SummaryOptions): string {
  return summariseNotebookContent(parseIpynb(json, displayPath), displayPath, options);
}

export interface SummaryOptions {
  /** The first cell shown (a later read of a notebook too long for one). */
  readonly startCell?: number;
  readonly maxChars?: number;
}

/** The cells from `startCell` on, each source cut at SOURCE_CHARS, until `maxChars`; then a note says where to go on. */
export function summariseNotebookContent(notebook: NotebookContent, displayPath: string, { startCell = 0, maxChars = NOTEBOOK_READ_CHARS }: SummaryOptions = {}): string {
  const about = [`${notebook.cells.length} cells`, ...(notebook.kernel ? [`kernel ${notebook.kernel}`] : [])].join(', ');
  const parts = [`${displayPath}: ${about}${notebook.unsaved ? ' (as open in the editor, with changes not saved yet)' : ''}`];
  let chars = parts[0]!.length;
  for (let index = startCell; index < notebook.cells.length; index++) {
    const cell = notebook.cells[index]!;
    const count = cell.executionCount ? ` [${cell.executionCount}]` : '';
    const outputs = cell.outputs.map(summariseOutput).filter(Boolean);
    const text = `\n--- cell ${index} (${cell.kind})${count}\n${clip(cell.source, SOURCE_CHARS, false)}${outputs.length ? `\n--- outputs of cell ${index}\n${clip(outputs.join('\n'), SOURCE_CHARS, false)}` : ''}`;
    if (chars + text.length > maxChars && index > startCell) {
      parts.push(`\n[cells ${index}-${notebook.cells.length - 1} not shown: read them with start_cell ${index}]`);
      break;
    }
    parts.push(text);
    chars += text.length;
  }
  if (startCell > 0 && startCell >= notebook.cells.length) parts.push(`\n[there is no cell ${startCell}: the cells are 0-${notebook.cells.length - 1}]`);
  return parts.join('\n');
}

function summariseOutput(output: NotebookContentOutput): string {
  switch (output.type) {
    case 'stream':
      return clip(`${output.name}: ${output.text}`);
    case 'error':
      return clip(`error ${output.ename}: ${output.evalue}\n${output.traceback.slice(-3).join('\n').replace(ANSI, '')}`);
    case 'data': {
      const plain = output.items.find((item) => item.mime === 'text/plain');
      const described = output.items.filter((item) => item.mime !== 'text/plain').map((item) => `[${item.mime}, ${sizeOf(item.bytes)}]`);
      return [plain?.text !== undefined ? clip(plain.text) : '', ...described].filter(Boolean).join(' ');
    }
  }
}

/** nbformat's multiline string: a string or a list of strings (anything else in a damaged file reads as nothing). */
function joinText(value: unknown): string {
  return Array.isArray(value) ? value.map(str).join('') : str(value);
}

function clip(text: string, max = OUTPUT_CHARS, clean = true): string {
  const shown = clean ? text.replace(ANSI, '').trimEnd() : text;
  if (shown.length <= max) return shown;
  const half = max / 2;
  return `${shown.slice(0, half)}\n[… ${shown.length - max} characters cut …]\n${shown.slice(-half)}`;
}

function sizeOf(bytes: number): string {
  return bytes > 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`;
}
