// `npm run bench -- <name>`: runs bench/<name>.bench.ts (or a path to a .bench.ts file), prints
// one line per metric and writes bench/results/<name>.json ([{ metric, value, unit, baseline?, ratio? }]).
// A failed bench exits 1 at once: whatever it left open (a loopback server, a timer, a child's
// pipes) must not keep the process waiting.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { BenchMetric } from './metric';

/** How long a finished bench may take to let go of its handles before the process exits anyway. */
const LINGER_MS = 2000;

async function main(): Promise<number> {
  const available = readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', ''));
  const arg = process.argv[2];
  const file = arg === undefined ? undefined : arg.endsWith('.bench.ts') ? resolve(arg) : available.includes(arg) ? join(__dirname, `${arg}.bench.ts`) : undefined;
  if (!arg || !file || !existsSync(file)) {
    console.error(`usage: npm run bench -- <name>   (available: ${available.join(', ')})`);
    return 2;
  }
  const name = basename(file, '.bench.ts');
  const module = (await import(file)) as { run(): Promise<BenchMetric[]> };
  const metrics = await module.run();
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(metrics, null, 2)}\n`);
  for (const m of metrics) {
    const beside = m.baseline === undefined ? '' : `   baseline ${m.baseline} ${m.unit}   ratio ${m.ratio}`;
    console.log(`${name}.${m.metric}: ${m.value} ${m.unit}${beside}`);
  }
  console.log(`wrote bench/results/${name}.json`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Exits by itself when nothing is left open; otherwise says so and exits anyway.
    setTimeout(() => {
      console.error(`bench: something was still open ${LINGER_MS} ms after the bench finished; exiting anyway`);
      process.exit();
    }, LINGER_MS).unref();
  },
  (error: unknown) => {
    console.error(error);
    // stderr is synchronous for files, TTYs and pipes on Linux, so the message is out before the exit.
    process.exit(1);
  },
);
