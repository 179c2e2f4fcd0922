// Messages on their way to the chat webview, in order. Each postMessage crosses the extension
// host's socket, the workbench and two frames, and costs each of them about the same whatever
// it holds; when deltas come faster than that path takes messages, one per delta makes a queue
// that only grows. So messages go out at the end of the task that produced them (the events of
// one network read travel together), at once when the view has taken the previous ones; while
// those are still on their way, what follows waits for them and then goes out together, the
// agent events in one message with consecutive text merged. A lone delta is never held back.
import type { AgentEvent } from '../agent/agentEvents';
import type { ToWebview } from './protocol';

export interface OutboxOptions {
  /** Posts one message; settles when the view has taken it (VS Code's postMessage promise). */
  readonly post: (message: ToWebview) => PromiseLike<unknown>;
  /** Runs `flush` once the current task is done (setImmediate in the extension host). */
  readonly schedule: (flush: () => void) => void;
  /** A post not acknowledged after this long counts as taken, so a lost answer cannot hold the stream. */
  readonly ackTimeoutMs?: number;
}

export class WebviewOutbox {
  private queue: ToWebview[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(private readonly options: OutboxOptions) {}

  push(message: ToWebview): void {
    const last = this.queue.at(-1);
    if (message.type === 'agentEvents' && last?.type === 'agentEvents') {
      for (const event of message.events) addEvent(last.events, event);
    } else {
      this.queue.push(message.type === 'agentEvents' ? { ...message, events: [...message.events] } : message);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.scheduled || this.inFlight || this.queue.length === 0) return;
    this.scheduled = true;
    this.options.schedule(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const messages = this.queue;
    this.queue = [];
    this.inFlight = true;
    let settled = false;
    const taken = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.inFlight = false;
      this.scheduleFlush();
    };
    const timer = setTimeout(taken, this.options.ackTimeoutMs ?? 2000);
    // The view takes messages in order: the last one taken means all were.
    let last: PromiseLike<unknown> = Promise.resolve();
    try {
      for (const message of messages) last = this.options.post(message);
    } catch {
      // A view that is gone: what it missed is in the transcript it gets when it comes back.
    }
    last.then(taken, taken);
  }
}

/** Adds an event to a message's events, merged into the last one when both are text of the same kind and turn. */
function addEvent(events: AgentEvent[], event: AgentEvent): void {
  const last = events.at(-1);
  if (last && (last.type === 'textDelta' || last.type === 'thinkingDelta') && event.type === last.type && event.turnId === last.turnId) {
    events[events.length - 1] = { ...last, text: last.text + event.text };
  } else {
    events.push(event);
  }
}
