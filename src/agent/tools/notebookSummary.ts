/**
 * A notebook as the model should read it: cells with their index, type and source, outputs
 * summarised (text head and tail, images and other rich data named, never base64).
 */
interface NotebookOutput {
  output_type?: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

interface NotebookCell {
  cell_type?: string;
  source?: string | string[];
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

const OUTPUT_CHARS = 1500;
// Terminal colour codes in tracebacks (ESC [ ... letter).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function summariseNotebook(json: string, displayPath: string): string {
  let notebook: { cells?: NotebookCell[]; metadata?: { kernelspec?: { display_name?: string } } };
  try {
    notebook = JSON.parse(json) as typeof notebook;
  } catch (error) {
    throw new Error(`${displayPath} is not valid notebook JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(notebook.cells)) throw new Error(`${displayPath} has no cells array: not an nbformat 4 notebook.`);
  const kernel = notebook.metadata?.kernelspec?.display_name;
  const parts = [`${displayPath}: ${notebook.cells.length} cells${kernel ? `, kernel ${kernel}` : ''}`];
  notebook.cells.forEach((cell, index) => {
    const count = cell.execution_count ? ` [${cell.execution_count}]` : '';
    parts.push(`\n--- cell ${index} (${cell.cell_type ?? 'unknown'})${count}\n${joinText(cell.source)}`);
    const outputs = (cell.outputs ?? []).map(summariseOutput).filter(Boolean);
    if (outputs.length) parts.push(`--- outputs of cell ${index}\n${outputs.join('\n')}`);
  });
  return parts.join('\n');
}

function summariseOutput(output: NotebookOutput): string {
  switch (output.output_type) {
    case 'stream':
      return clip(`${output.name ?? 'stdout'}: ${joinText(output.text)}`);
    case 'error':
      return clip(`error ${output.ename ?? ''}: ${output.evalue ?? ''}\n${(output.traceback ?? []).slice(-3).join('\n').replace(ANSI, '')}`);
    case 'execute_result':
    case 'display_data': {
      const data = output.data ?? {};
      const described = Object.keys(data)
        .filter((mime) => mime !== 'text/plain')
        .map((mime) => `[${mime}${typeof data[mime] === 'string' || Array.isArray(data[mime]) ? `, ${sizeOf(data[mime])}` : ''}]`);
      const text = data['text/plain'] !== undefined ? clip(joinText(data['text/plain'] as string | string[])) : '';
      return [text, ...described].filter(Boolean).join(' ');
    }
    default:
      return '';
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

function sizeOf(value: unknown): string {
  const length = Array.isArray(value) ? value.join('').length : String(value).length;
  return length > 1024 ? `${(length / 1024).toFixed(1)} KB` : `${length} B`;
}
