// The outputs of one execution, built from the kernel's IOPub messages the way Jupyter front
// ends show them: streams merged and carriage returns applied (progress bars), clear_output
// with wait, display updates by display id, and caps so a runaway loop cannot exhaust memory.

export type MimeBundle = Readonly<Record<string, unknown>>;

export type CellOutput =
  | { readonly type: 'stream'; readonly name: 'stdout' | 'stderr'; readonly text: string }
  | {
      readonly type: 'display_data' | 'execute_result';
      readonly data: MimeBundle;
      readonly metadata: MimeBundle;
      readonly displayId?: string;
      readonly executionCount?: number | null;
    }
  | { readonly type: 'error'; readonly ename: string; readonly evalue: string; readonly traceback: readonly string[] };

/** The IOPub message fields we read; @jupyterlab/services' messages fit this shape. */
export interface IopubMessage {
  readonly header: { readonly msg_type: string };
  readonly content: unknown;
}

export interface OutputLimits {
  /** Characters kept per stream output: the first half and the latest half, with a note between. */
  readonly streamChars: number;
  /** Outputs other than streams kept per execution; later ones are counted, not kept. */
  readonly outputs: number;
  /** Largest single MIME value kept (base64 images, HTML); larger ones are replaced by a note. */
  readonly valueChars: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { streamChars: 2_000_000, outputs: 2_000, valueChars: 20_000_000 };

interface StreamState {
  /** Column of the cursor in the last line after a carriage return or backspace; null: at its end. */
  cursor: number | null;
  /** For a capped stream: the kept head, and how many characters were dropped after it. */
  head: string | null;
  dropped: number;
  tail: string;
}

export class OutputAccumulator {
  private items: CellOutput[] = [];
  private streams = new Map<number, StreamState>();
  private clearOnNext = false;
  private droppedOutputs = 0;
  private nonStreamCount = 0;
  /** Incremented on every change: consumers render when it moves. */
  version = 0;
  executionCount: number | null = null;

  constructor(private readonly limits: OutputLimits = DEFAULT_OUTPUT_LIMITS) {}

  get outputs(): readonly CellOutput[] {
    if (this.droppedOutputs === 0) return this.items;
    return [
      ...this.items,
      {
        type: 'stream',
        name: 'stderr',
        text: `[ML Engineer: ${this.droppedOutputs} more outputs not shown; an execution keeps at most ${this.limits.outputs}.]\n`,
      },
    ];
  }

  /** Applies one IOPub message; returns whether the outputs changed. */
  apply(message: IopubMessage): boolean {
    const content = (message.content ?? {}) as Record<string, unknown>;
    switch (message.header.msg_type) {
      case 'execute_input':
        if (typeof content.execution_count === 'number') this.executionCount = content.execution_count;
        return false;
      case 'stream': {
        const name = content.name === 'stderr' ? 'stderr' : 'stdout';
        const text = typeof content.text === 'string' ? content.text : '';
        this.takePendingClear();
        this.appendStream(name, text);
        return this.changed();
      }
      case 'display_data':
      case 'execute_result': {
        this.takePendingClear();
        const displayId = displayIdOf(content);
        const count = typeof content.execution_count === 'number' ? content.execution_count : null;
        if (message.header.msg_type === 'execute_result' && count !== null) this.executionCount = count;
        this.push({
          type: message.header.msg_type,
          data: this.capBundle(asBundle(content.data)),
          metadata: asBundle(content.metadata),
          ...(displayId ? { displayId } : {}),
          ...(message.header.msg_type === 'execute_result' ? { executionCount: count } : {}),
        });
        return this.changed();
      }
      case 'update_display_data': {
        const displayId = displayIdOf(content);
        if (!displayId) return false;
        return this.updateDisplay(displayId, this.capBundle(asBundle(content.data)), asBundle(content.metadata));
      }
      case 'error': {
        this.takePendingClear();
        this.push({
          type: 'error',
          ename: typeof content.ename === 'string' ? content.ename : 'Error',
          evalue: typeof content.evalue === 'string' ? content.evalue : '',
          traceback: Array.isArray(content.traceback) ? content.traceback.filter((l): l is string => typeof l === 'string') : [],
        });
        return this.changed();
      }
      case 'clear_output':
        if (content.wait === true) {
          this.clearOnNext = true;
          return false;
        }
        this.clear();
        return this.changed();
      default:
        return false;
    }
  }

  /** A display id updated from any execution (update_display_data reaches every cell that shows it). */
  updateDisplay(displayId: string, data: MimeBundle, metadata: MimeBundle): boolean {
    let hit = false;
    this.items = this.items.map((o) => {
      if (o.type !== 'stream' && o.type !== 'error' && o.displayId === displayId) {
        hit = true;
        return { ...o, data, metadata };
      }
      return o;
    });
    return hit ? this.changed() : false;
  }

  private changed(): true {
    this.version++;
    return true;
  }

  private takePendingClear(): void {
    if (this.clearOnNext) {
      this.clearOnNext = false;
      this.clear();
    }
  }

  private clear(): void {
    this.items = [];
    this.streams.clear();
    this.droppedOutputs = 0;
    this.nonStreamCount = 0;
  }

  private push(output: CellOutput): void {
    if (this.nonStreamCount >= this.limits.outputs) {
      this.droppedOutputs++;
      return;
    }
    this.nonStreamCount++;
    this.items.push(output);
  }

  private appendStream(name: 'stdout' | 'stderr', chunk: string): void {
    const lastIndex = this.items.length - 1;
    const last = this.items[lastIndex];
    let state: StreamState;
    if (last?.type === 'stream' && last.name === name) {
      state = this.streams.get(lastIndex) ?? { cursor: null, head: null, dropped: 0, tail: last.text };
    } else {
      this.items.push({ type: 'stream', name, text: '' });
      state = { cursor: null, head: null, dropped: 0, tail: '' };
    }
    const index = this.items.length - 1;
    const written = writeTerminalText(state.tail, state.cursor, chunk);
    state.tail = written.text;
    state.cursor = written.cursor;
    this.capStream(state);
    this.streams.set(index, state);
    const text =
      state.head === null
        ? state.tail
        : `${state.head}\n[ML Engineer: ${state.dropped} characters of output not shown; the first and the latest are kept.]\n${state.tail}`;
    this.items[index] = { type: 'stream', name, text };
  }

  private capStream(state: StreamState): void {
    const half = Math.floor(this.limits.streamChars / 2);
    if (state.head === null && state.tail.length <= this.limits.streamChars) return;
    if (state.head === null) {
      state.head = state.tail.slice(0, half);
      state.tail = state.tail.slice(half);
    }
    if (state.tail.length > half) {
      // Cut at a line start where one is near, so the kept tail begins with a whole line.
      let cut = state.tail.length - half;
      const newline = state.tail.indexOf('\n', cut);
      if (newline >= 0 && newline - cut < 1000) cut = newline + 1;
      state.dropped += cut;
      state.tail = state.tail.slice(cut);
      if (state.cursor !== null) state.cursor = Math.min(state.cursor, state.tail.length - (state.tail.lastIndexOf('\n') + 1));
    }
  }

  private capBundle(bundle: MimeBundle): MimeBundle {
    let capped: Record<string, unknown> | undefined;
    for (const [mime, value] of Object.entries(bundle)) {
      const size = typeof value === 'string' ? value.length : 0;
      if (size > this.limits.valueChars) {
        capped ??= { ...bundle };
        delete capped[mime];
        capped['text/plain'] = `[ML Engineer: a ${mime} output of ${(size / 1e6).toFixed(1)} MB was not shown (limit ${(this.limits.valueChars / 1e6).toFixed(0)} MB).]`;
      }
    }
    return capped ?? bundle;
  }
}

/**
 * Writes `chunk` after `text` as a terminal would: `\r` returns to the start of the line and
 * later characters overwrite it (tqdm progress bars), `\b` steps back one column.
 */
export function writeTerminalText(text: string, cursor: number | null, chunk: string): { text: string; cursor: number | null } {
  if (cursor === null && !/[\r\b]/.test(chunk)) return { text: text + chunk, cursor: null };
  const lineStart = text.lastIndexOf('\n') + 1;
  let head = text.slice(0, lineStart);
  let line = text.slice(lineStart);
  let col = cursor ?? line.length;
  for (const part of chunk.split(/(\r\n|\r|\n|\b)/)) {
    if (part === '') continue;
    if (part === '\n' || part === '\r\n') {
      head += line + '\n';
      line = '';
      col = 0;
    } else if (part === '\r') {
      col = 0;
    } else if (part === '\b') {
      col = Math.max(0, col - 1);
    } else {
      line = line.slice(0, col) + part + line.slice(col + part.length);
      col += part.length;
    }
  }
  return { text: head + line, cursor: col === line.length ? null : col };
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const transient = content.transient as Record<string, unknown> | undefined;
  const id = transient?.display_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function asBundle(value: unknown): MimeBundle {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as MimeBundle) : {};
}

/** Tracebacks and some streams carry ANSI colour codes; text for the model and logs drops them. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
}
