/// <reference lib="dom" />
// Where a streamed delta's time goes between the loopback API and the webview's DOM, for the chat
// bench with BENCH_CHAT_HOPS=1. Taps in the workbench page record when each hop saw a chunk (the
// streamed chunks are `c0000 `, `c0001 `...): the extension host's WebSocket frame arriving, VS
// Code reading it (a FileReader per frame), the workbench posting it to the webview's host frame,
// that frame receiving it, the webview's own frame receiving it; the extension host stamps when
// it had the event (MLE_CHAT_TRACE=1). Every clock is the epoch-based performance clock.

export interface HopEvent {
  readonly hop: 'ws' | 'read' | 'port' | 'host' | 'frame';
  readonly at: number;
  readonly markers: number[];
  readonly size?: number;
  readonly hostAt?: number;
}

/** A function as a page script: tsx names a bundle's functions with a helper the page does not have. */
export function pageScript(fn: () => void): string {
  return `var __name = (f) => f; (${fn.toString()})();`;
}

/** Installed with addInitScript: runs in the workbench and in every frame before their scripts. */
export function installHopTaps(): void {
  const g = globalThis as unknown as { __hops?: HopEvent[] };
  if (g.__hops) return;
  const events: HopEvent[] = (g.__hops = []);
  const now = (): number => performance.timeOrigin + performance.now();
  const markersIn = (text: string): number[] => Array.from(text.matchAll(/c(\d{4}) /g), (m) => Number(m[1]));
  if (window.top === window) {
    // The extension host's socket: each frame arrives as a Blob that VS Code reads with a FileReader.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped, and called with the socket as `this`
    const add = WebSocket.prototype.addEventListener;
    WebSocket.prototype.addEventListener = function (this: WebSocket & { __tapped?: true }, type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions) {
      if (type === 'message' && !this.__tapped) {
        this.__tapped = true;
        add.call(this, 'message', (e: Event) => {
          const data = (e as MessageEvent<Blob | ArrayBuffer>).data;
          events.push({ hop: 'ws', at: now(), markers: [], size: data instanceof Blob ? data.size : data.byteLength });
        });
      }
      add.call(this, type, listener, options);
    } as typeof WebSocket.prototype.addEventListener;
    const onload = Object.getOwnPropertyDescriptor(FileReader.prototype, 'onload')!;
    Object.defineProperty(FileReader.prototype, 'onload', {
      configurable: true,
      get(this: FileReader) {
        return onload.get!.call(this) as unknown;
      },
      set(this: FileReader, fn: ((this: FileReader, e: ProgressEvent<FileReader>) => unknown) | null) {
        onload.set!.call(
          this,
          fn &&
            function (this: FileReader, e: ProgressEvent<FileReader>) {
              const result = this.result;
              if (result instanceof ArrayBuffer && result.byteLength < 262_144) {
                const markers = markersIn(new TextDecoder().decode(result));
                if (markers.length > 0) events.push({ hop: 'read', at: now(), markers, size: result.byteLength });
              }
              return fn.call(this, e);
            },
        );
      },
    });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped, and called with the port as `this`
    const post = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (this: MessagePort, message: unknown, ...rest: unknown[]) {
      const m = message as { channel?: string; args?: { message?: unknown } } | null;
      if (m?.channel === 'message') {
        const markers = markersIn(JSON.stringify(m.args?.message ?? null));
        if (markers.length > 0) events.push({ hop: 'port', at: now(), markers });
      }
      return (post as (...args: unknown[]) => void).call(this, message, ...rest);
    } as typeof MessagePort.prototype.postMessage;
  } else {
    // A webview's host frame (pre/index.html): its end of the workbench's MessagePort.
    const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage')!;
    Object.defineProperty(MessagePort.prototype, 'onmessage', {
      configurable: true,
      get(this: MessagePort) {
        return onmessage.get!.call(this) as unknown;
      },
      set(this: MessagePort, fn: ((this: MessagePort, e: MessageEvent) => unknown) | null) {
        onmessage.set!.call(
          this,
          fn &&
            function (this: MessagePort, e: MessageEvent) {
              const m = e.data as { channel?: string; args?: { message?: unknown } } | null;
              if (m?.channel === 'message') {
                const markers = markersIn(JSON.stringify(m.args?.message ?? null));
                if (markers.length > 0) events.push({ hop: 'host', at: now(), markers });
              }
              return fn.call(this, e);
            },
        );
      },
    });
  }
}

/**
 * Installed with evaluate in the webview's own frame once its page runs (VS Code writes that
 * document with document.open, which drops listeners added before): a capturing listener runs
 * before the page's own.
 */
export function installFrameTap(): void {
  const g = globalThis as unknown as { __hops?: HopEvent[] };
  const events: HopEvent[] = (g.__hops ??= []);
  window.addEventListener(
    'message',
    (e: MessageEvent) => {
      const at = performance.timeOrigin + performance.now();
      const markers = Array.from(JSON.stringify(e.data ?? null).matchAll(/c(\d{4}) /g), (m) => Number(m[1]));
      const hostAt = (e.data as { hostAt?: unknown } | null)?.hostAt;
      if (markers.length > 0) events.push({ hop: 'frame', at, markers, ...(typeof hostAt === 'number' ? { hostAt } : {}) });
    },
    { capture: true },
  );
}

export const SEGMENTS = ['api_to_host', 'host_to_ws', 'ws_to_read', 'read_to_port', 'port_to_hostframe', 'hostframe_to_frame', 'frame_to_drawn'] as const;
export type Segment = (typeof SEGMENTS)[number];

/**
 * Per chunk, the time each segment took: from the API's write to the extension host having the
 * event, to the WebSocket frame arriving in the workbench, to VS Code reading it, ... to the chunk
 * in the webview's DOM. A chunk some hop did not see (coalesced away, say) counts for no segment
 * that hop bounds.
 */
export function hopSegments(sent: ReadonlyMap<number, number>, events: readonly HopEvent[], drawn: ReadonlyMap<number, number>): Record<Segment, number[]> {
  const first = (hop: HopEvent['hop']): Map<number, HopEvent> => {
    const found = new Map<number, HopEvent>();
    for (const e of events) if (e.hop === hop) for (const m of e.markers) if (!found.has(m)) found.set(m, e);
    return found;
  };
  const read = first('read');
  const port = first('port');
  const host = first('host');
  const frame = first('frame');
  // A read is of the latest frame of its size that arrived before it and was not yet read.
  const ws = events.filter((e) => e.hop === 'ws');
  const wsOfRead = new Map<HopEvent, number>();
  const used = new Set<HopEvent>();
  for (const r of [...new Set(read.values())].sort((a, b) => a.at - b.at)) {
    const match = ws.find((w) => !used.has(w) && w.size === r.size && w.at <= r.at);
    if (match) {
      used.add(match);
      wsOfRead.set(r, match.at);
    }
  }
  const out = Object.fromEntries(SEGMENTS.map((s) => [s, [] as number[]])) as Record<Segment, number[]>;
  for (const [chunk, sentAt] of sent) {
    const f = frame.get(chunk);
    const r = read.get(chunk);
    const times: (number | undefined)[] = [sentAt, f?.hostAt, r ? wsOfRead.get(r) : undefined, r?.at, port.get(chunk)?.at, host.get(chunk)?.at, f?.at, drawn.get(chunk)];
    SEGMENTS.forEach((segment, i) => {
      const from = times[i];
      const to = times[i + 1];
      if (from !== undefined && to !== undefined) out[segment].push(to - from);
    });
  }
  return out;
}
