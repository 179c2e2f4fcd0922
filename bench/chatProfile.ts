// With BENCH_CHAT_PROFILE=<folder>, the chat bench records a V8 CPU profile of the workbench's
// renderer (the webview frames run in it too) while a stream draws and while the long
// conversation opens: <folder>/<name>.cpuprofile (open it in Chromium's DevTools, Performance
// tab) and, on stdout, the functions that took the most time of their own.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
  readonly hitCount?: number;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export const PROFILE_DIR = process.env.BENCH_CHAT_PROFILE;

/** Starts profiling the page's renderer; the returned function stops it, writes the profile and prints its top items. */
export async function startProfile(page: Page, name: string): Promise<() => Promise<void>> {
  if (!PROFILE_DIR) return () => Promise.resolve();
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    await cdp.detach();
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    console.log(`profile ${name}: ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms; self time (ms):`);
    for (const [what, ms] of selfTimes(profile).slice(0, 25)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${what}`);
  };
}

/** Self time per function (name, file and line), from the samples and their time deltas; largest first. */
export function selfTimes(profile: CpuProfile): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    if (!node) continue;
    const f = node.callFrame;
    const file = f.url ? f.url.slice(f.url.lastIndexOf('/') + 1).split('?')[0] : '';
    const key = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
    // Each sample's time is the delta to the next one.
    totals.set(key, (totals.get(key) ?? 0) + (deltas[i + 1] ?? 0) / 1000);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}
