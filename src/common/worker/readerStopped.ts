import { UserError } from '../errors';

/** Why a worker's call ended without an answer. */
export type StopReason = 'time' | 'stall' | 'memory' | 'stack' | 'crash' | 'cancelled' | 'disposed';

/**
 * A reader run off the extension host's thread was stopped: it went over its time or memory,
 * recursed too deep, crashed, was cancelled, or the window is closing. The message names the
 * file and says which, in words a user can act on.
 */
export class ReaderStopped extends UserError {
  constructor(
    /** What was read, as the user knows it (a file name, a folder). */
    readonly subject: string,
    readonly reason: StopReason,
    /** The reason in words: "the reader took longer than 20 s". */
    readonly why: string,
    /** What the reader had open when it was stopped (a path), where known. */
    readonly during?: string,
  ) {
    super(`${subject} could not be read: ${why}`);
  }
}

/** "20 s", "0.5 s": limits as people write them. */
export function seconds(ms: number): string {
  return `${ms >= 10_000 ? Math.round(ms / 1000) : Number((ms / 1000).toPrecision(2))} s`;
}

export function stopWhy(reason: StopReason, limits: { timeMs?: number; stallMs?: number; memoryMb?: number }, detail?: string): string {
  switch (reason) {
    case 'time':
      return `the reader took longer than ${seconds(limits.timeMs ?? 0)}`;
    case 'stall':
      return `the reader was busy for more than ${seconds(limits.stallMs ?? 0)} without a break`;
    case 'memory':
      return `the reader used more than ${limits.memoryMb ?? 0} MB`;
    case 'stack':
      return 'it is nested too deeply for the reader';
    case 'crash':
      return `the reader stopped${detail ? ` (${detail})` : ''}`;
    case 'cancelled':
      return 'the reader was stopped (cancelled)';
    case 'disposed':
      return 'the reader was stopped (closing)';
  }
}
