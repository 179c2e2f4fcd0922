import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../common/logger';
import { parseSampleLine, SAMPLE_FIELDS, type GpuSample } from './gpuSample';

export type SamplerState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  /** No nvidia-smi here: said once, never retried until restart() is called. */
  | { readonly kind: 'unavailable'; readonly message: string }
  /** It keeps failing; retried with backoff. */
  | { readonly kind: 'failing'; readonly message: string; readonly retryInMs: number }
  | { readonly kind: 'stopped' };

export interface SamplerOptions {
  readonly command: string;
  readonly intervalMs: number;
  readonly log: Logger;
  onSnapshot(samples: GpuSample[]): void;
  onState?(state: SamplerState): void;
}

const GARBAGE_LIMIT = 5;
/** A sample line is under 1 KB: a process that prints this much without a newline is broken, and its buffer must not grow. */
export const MAX_LINE_CHARS = 64 * 1024;
const MAX_BACKOFF_MS = 60_000;

/**
 * One long-lived `nvidia-smi ... -lms N` per window, not a process per sample. Lines of one
 * interval are gathered into a snapshot (a repeated GPU index, or a quiet gap, ends it). A
 * process that exits is restarted with backoff; one that goes silent for several intervals
 * (a hung driver) or prints lines that are not samples is killed and reported.
 */
export class NvidiaSmiSampler {
  private child: ChildProcess | undefined;
  private batch: GpuSample[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private garbage = 0;
  private failures = 0;
  private lastOutput = 0;
  private spawnedAt = 0;
  private intervalMs: number;
  private stopped = true;

  constructor(private readonly options: SamplerOptions) {
    this.intervalMs = options.intervalMs;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.spawn();
  }

  /** Slower when the window is in the background; restarts the process with the new period. */
  setInterval(ms: number): void {
    if (ms === this.intervalMs) return;
    this.intervalMs = ms;
    if (!this.stopped && this.child) {
      this.kill();
      this.spawn();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.kill();
    this.options.onState?.({ kind: 'stopped' });
  }

  private spawn(): void {
    this.options.onState?.({ kind: 'starting' });
    const args = [`--query-gpu=${SAMPLE_FIELDS.join(',')}`, '--format=csv,noheader,nounits', `-lms`, String(this.intervalMs)];
    const child = spawn(this.options.command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    this.child = child;
    this.lastOutput = this.spawnedAt = Date.now();
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.lastOutput = Date.now();
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        this.line(buffered.slice(0, newline).replace(/\r$/, ''));
        buffered = buffered.slice(newline + 1);
      }
      if (buffered.length > MAX_LINE_CHARS && child === this.child) {
        buffered = '';
        this.kill();
        this.failed(`${this.options.command} printed more than ${MAX_LINE_CHARS / 1024} KB without a line break (not GPU samples); restarted`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child !== this.child) return;
      this.child = undefined;
      clearInterval(this.watchdog);
      if (error.code === 'ENOENT') {
        const message = `${this.options.command} was not found: GPU sampling is off (no NVIDIA driver here?).`;
        this.options.log.info(message);
        this.options.onState?.({ kind: 'unavailable', message });
        this.stopped = true;
      } else this.failed(`${this.options.command} could not start: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      if (child !== this.child) return;
      this.child = undefined;
      clearInterval(this.watchdog);
      if (!this.stopped) this.failed(`${this.options.command} exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`);
    });
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastOutput > Math.max(5 * this.intervalMs, 5000)) {
        this.kill();
        this.failed(`${this.options.command} stopped answering (no sample for ${Math.round((Date.now() - this.lastOutput) / 1000)} s); restarted`);
      }
    }, Math.max(this.intervalMs, 1000));
  }

  private line(text: string): void {
    if (text.trim() === '') return;
    const sample = parseSampleLine(text);
    if (!sample) {
      if (++this.garbage >= GARBAGE_LIMIT) {
        this.kill();
        this.failed(`${this.options.command} printed lines that are not GPU samples, e.g. "${text.slice(0, 80)}"`);
      }
      return;
    }
    this.garbage = 0;
    if (this.batch.some((s) => s.index === sample.index)) this.flush();
    this.batch.push(sample);
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.flush(), Math.min(100, this.intervalMs / 2));
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    if (this.batch.length === 0) return;
    const samples = this.batch.sort((a, b) => a.index - b.index);
    this.batch = [];
    this.options.onState?.({ kind: 'running' });
    this.options.onSnapshot(samples);
  }

  private failed(message: string): void {
    if (this.stopped) return;
    // A process that ran a good while before failing starts a new streak; one that keeps dying backs off.
    if (Date.now() - this.spawnedAt > 60_000) this.failures = 0;
    this.failures++;
    const retryInMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures - 1, 6));
    // Logged once per failure streak, not on every retry.
    if (this.failures === 1) this.options.log.warn(message);
    this.options.onState?.({ kind: 'failing', message, retryInMs });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.spawn();
    }, retryInMs);
  }

  private kill(): void {
    clearInterval(this.watchdog);
    clearTimeout(this.flushTimer);
    const child = this.child;
    this.child = undefined;
    this.batch = [];
    this.garbage = 0;
    child?.kill('SIGKILL');
  }
}
