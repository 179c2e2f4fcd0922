// A stand-in for a busy editor beside a heavy engine query: a separate process at the bench's own
// priority that works 8 ms of every 16 ms frame (a renderer or extension host drawing and typing)
// and records how late each frame starts. The data engine runs below normal priority on every
// core (engineProcess.ts); this says whether the editor still gets its turn while it does.
import { spawn } from 'node:child_process';

const FRAMES = `
const { performance } = require('node:perf_hooks');
const late = [];
let next = performance.now() + 16;
let stop = false;
process.on('message', () => { stop = true; });
function frame() {
  const now = performance.now();
  late.push(now - next);
  const until = now + 8;
  while (performance.now() < until);
  next += 16;
  if (stop) {
    late.sort((a, b) => a - b);
    const at = (p) => late[Math.floor(p * (late.length - 1))];
    process.send({ p95: at(0.95), p99: at(0.99), frames: late.length }, () => process.exit(0));
    return;
  }
  setTimeout(frame, Math.max(0, next - performance.now()));
}
setTimeout(frame, 16);
`;

export interface FrameLateness {
  /** How late a frame started, in ms, at the 95th and 99th percentile. */
  readonly p95: number;
  readonly p99: number;
  readonly frames: number;
}

/** Runs the busy editor while `work` runs (after a short start), and gives its frames' lateness. */
export async function editorFramesDuring(work: () => Promise<unknown>): Promise<FrameLateness> {
  const editor = spawn(process.execPath, ['-e', FRAMES], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const done = new Promise<FrameLateness>((resolve, reject) => {
    editor.once('message', (m) => resolve(m as FrameLateness));
    editor.once('exit', (code) => reject(new Error(`the editor stand-in exited (${code}) before it reported`)));
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await work();
  } finally {
    editor.send('stop');
  }
  return done;
}

/** The busy editor alone for `ms`: its lateness with nothing beside it. */
export const editorFramesIdle = (ms: number): Promise<FrameLateness> => editorFramesDuring(() => new Promise((resolve) => setTimeout(resolve, ms)));
