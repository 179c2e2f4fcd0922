import { open, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { REQUEST_LOG_FILE } from './requestLogText';
import { LatencyWindow } from './servedStats';

// The latency of every /predict request a server answered, whoever sent it (our sender, the user's
// curl or app, a headless agent run): the `__latency_ms` the app's request log records per row
// (requestLogText.ts), tailed from the last offset with async reads (never the whole file again),
// from the end the file had when the server started. One request's rows are consecutive and share
// `__ts` and `__latency_ms`, so a run of equal pairs is one request. A rotation (the file renamed to
// .1, a new one begun: a new inode or a shorter file) is followed: the rest of .1 first, then the new
// file from 0; two rotations between polls lose the middle file's rows (a 20 MB file between two reads).

const CHUNK = 1 << 20;
const LATENCY = /"__latency_ms": ([-\d.eE+]+)/;
const TS = /"__ts": ([-\d.eE+]+)/;
const OFF = new Set(['', 'off', '0', 'false', 'no']);

/** The request log a server's app writes, as the app resolves it; undefined where its environment turns it off. */
export function requestLogPath(appDir: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const set = env.MODEL_REQUEST_LOG;
  if (set === undefined) return join(appDir, REQUEST_LOG_FILE);
  if (OFF.has(set.trim().toLowerCase())) return undefined;
  return isAbsolute(set) ? set : join(appDir, set);
}

export class RequestLogLatency {
  readonly latency = new LatencyWindow();
  private offset: number | undefined;
  private ino: number | undefined;
  private rest = '';
  private lastKey = '';
  /** Requests read in all (the window keeps the last 2,000). */
  private seen = 0;
  private polling: Promise<boolean> | undefined;

  constructor(readonly path: string) {}

  /** Reads what was appended since the last poll (the first poll only marks the end); true where latencies were added. One at a time. */
  poll(): Promise<boolean> {
    this.polling ??= this.read().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async read(): Promise<boolean> {
    const now = await stat(this.path).catch(() => undefined);
    if (this.offset === undefined) {
      this.offset = now?.size ?? 0;
      this.ino = now?.ino;
      return false;
    }
    const before = this.seen;
    if (this.ino !== undefined && (!now || now.ino !== this.ino || now.size < this.offset)) {
      // Rotated: the old file is .1 now (where the inode says so), read to its end.
      const old = await stat(`${this.path}.1`).catch(() => undefined);
      if (old && old.ino === this.ino) await this.readFrom(`${this.path}.1`, old.size);
      this.offset = 0;
      this.rest = '';
      this.ino = now?.ino;
    } else if (this.ino === undefined) this.ino = now?.ino;
    if (now) await this.readFrom(this.path, now.size);
    return this.seen !== before;
  }

  private async readFrom(path: string, size: number): Promise<void> {
    const file = await open(path, 'r').catch(() => undefined);
    if (!file) return;
    try {
      const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(1, size - (this.offset ?? 0))));
      for (let at = this.offset ?? 0; at < size; ) {
        const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, size - at), at);
        if (bytesRead === 0) break;
        at += bytesRead;
        this.offset = at;
        this.take(buffer.toString('utf8', 0, bytesRead));
      }
    } finally {
      await file.close();
    }
  }

  private take(text: string): void {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop()!;
    const ms: number[] = [];
    for (const line of lines) {
      const latency = LATENCY.exec(line)?.[1];
      if (latency === undefined) continue;
      const key = `${TS.exec(line)?.[1] ?? ''}|${latency}`;
      if (key === this.lastKey) continue;
      this.lastKey = key;
      ms.push(Number(latency));
    }
    this.seen += ms.length;
    this.latency.record(...ms);
  }
}
