// `npm run bench -- <name>`: runs bench/<name>.bench.ts, prints one line per metric and writes
// bench/results/<name>.json ([{ metric, value, unit, baseline?, ratio? }]).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchMetric } from './metric';

async function main(): Promise<void> {
  const available = readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', ''));
  const name = process.argv[2];
  if (!name || !available.includes(name)) {
    console.error(`usage: npm run bench -- <name>   (available: ${available.join(', ')})`);
    process.exitCode = 2;
    return;
  }
  const module = (await import(join(__dirname, `${name}.bench.ts`))) as { run(): Promise<BenchMetric[]> };
  const metrics = await module.run();
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(metrics, null, 2)}\n`);
  for (const m of metrics) {
    const beside = m.baseline === undefined ? '' : `   baseline ${m.baseline} ${m.unit}   ratio ${m.ratio}`;
    console.log(`${name}.${m.metric}: ${m.value} ${m.unit}${beside}`);
  }
  console.log(`wrote bench/results/${name}.json`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
