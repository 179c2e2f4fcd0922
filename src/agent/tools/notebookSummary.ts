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

interface IpynbOutput {
  output_type?: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

interface IpynbCell {
  cell_type?: string;
  source?: string | string[];
  outputs?: IpynbOutput[];
  execution_count?: number | null;
}

const OUTPUT_CHARS = 1500;
// Terminal colour codes in tracebacks (ESC [ ... letter).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
/** nbformat stores these as base64 text; the editor holds their bytes. */
const BASE64_MIMES = /^image\/(png|jpeg|gif|webp|bmp)$/;

/** The .ipynb file's JSON as NotebookContent; throws with what is wrong when it is not a notebook. */
export function parseIpynb(json: string, displayPath: string): NotebookContent {
  let notebook: { cells?: IpynbCell[]; metadata?: { kernelspec?: { display_name?: string } } };
  try {
    notebook = JSON.parse(json) as typeof notebook;
  } catch (error) {
    throw new Error(`${displayPath} is not valid notebook JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(notebook.cells)) throw new Error(`${displayPath} has no cells array: not an nbformat 4 notebook.`);
  const kernel = notebook.metadata?.kernelspec?.display_name;
  return {
    ...(typeof kernel === 'string' ? { kernel } : {}),
    cells: notebook.cells.map((cell) => ({
      kind: cell.cell_type ?? 'unknown',
      source: joinText(cell.source),
      ...(cell.execution_count ? { executionCount: cell.execution_count } : {}),
      outputs: (cell.outputs ?? []).flatMap(ipynbOutput),
    })),
  };
}

function ipynbOutput(output: IpynbOutput): NotebookContentOutput[] {
  switch (output.output_type) {
    case 'stream':
      return [{ type: 'stream', name: output.name ?? 'stdout', text: joinText(output.text) }];
    case 'error':
      return [{ type: 'error', ename: output.ename ?? '', evalue: output.evalue ?? '', traceback: output.traceback ?? [] }];
    case 'execute_result':
    case 'display_data':
      return [
        {
          type: 'data',
          items: Object.entries(output.data ?? {}).map(([mime, value]) => {
            const text = typeof value === 'string' || Array.isArray(value) ? joinText(value as string | string[]) : JSON.stringify(value);
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
export function summariseNotebook(json: string, displayPath: string): string {
  return summariseNotebookContent(parseIpynb(json, displayPath), displayPath);
}

export function summariseNotebookContent(notebook: NotebookContent, displayPath: string): string {
  const about = [`${notebook.cells.length} cells`, ...(notebook.kernel ? [`kernel ${notebook.kernel}`] : [])].join(', ');
  const parts = [`${displayPath}: ${about}${notebook.unsaved ? ' (as open in the editor, with changes not saved yet)' : ''}`];
  notebook.cells.forEach((cell, index) => {
    const count = cell.executionCount ? ` [${cell.executionCount}]` : '';
    parts.push(`\n--- cell ${index} (${cell.kind})${count}\n${cell.source}`);
    const outputs = cell.outputs.map(summariseOutput).filter(Boolean);
    if (outputs.length) parts.push(`--- outputs of cell ${index}\n${outputs.join('\n')}`);
  });
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

function joinText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join('') : (value ?? '');
}

function clip(text: string): string {
  const clean = text.replace(ANSI, '').trimEnd();
  if (clean.length <= OUTPUT_CHARS) return clean;
  const half = OUTPUT_CHARS / 2;
  return `${clean.slice(0, half)}\n[… ${clean.length - OUTPUT_CHARS} characters cut …]\n${clean.slice(-half)}`;
}

function sizeOf(bytes: number): string {
  return bytes > 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`;
}
