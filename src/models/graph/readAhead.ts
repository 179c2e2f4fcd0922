import type { FileWindow } from '../fileWindow';

// The graph walk asks for tens of thousands of small pieces (a field's key, a node, a value_info):
// one system call each made a 10,000-node model take 600 ms, most of it in reads and the garbage
// of their buffers. These reads are served from one buffer read ahead of them instead. The read
// ahead grows while the walk goes straight on and starts small again after a jump (the walk
// skipped a weight), so a model of big weights costs a few kilobytes per weight, not the weights.

const FIRST = 16 * 1024;
const MOST = 4 * 1024 * 1024;

export class ReadAhead {
  private buffer: Uint8Array = new Uint8Array(0);
  private start = 0;
  private ahead = FIRST;

  constructor(private readonly file: Pick<FileWindow, 'read' | 'size'>) {}

  /** `length` bytes at `offset`: a view of the buffer (valid after later reads too), read into it if needed. */
  read(offset: number, length: number, what = 'data'): Uint8Array {
    const end = this.start + this.buffer.length;
    if (offset >= this.start && offset + length <= end) return this.buffer.subarray(offset - this.start, offset - this.start + length);
    if (length > MOST) return this.file.read(offset, length, what);
    // Straight on from the buffer: read further ahead next time; after a jump, start small again.
    this.ahead = offset >= this.start && offset <= end ? Math.min(this.ahead * 2, MOST) : FIRST;
    const size = Math.min(Math.max(length, this.ahead), this.file.size - offset);
    this.buffer = this.file.read(offset, Math.max(size, length), what);
    this.start = offset;
    return this.buffer.subarray(0, length);
  }
}
