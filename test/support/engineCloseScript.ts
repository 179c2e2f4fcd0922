// Run as its own process by dataEngine.test.ts: an engine queried, then closed with nothing else
// keeping the process alive; "closed" is printed only if close() resolves before the process ends.
import { DataEngine } from '../../src/data/engine/engineClient';

async function main(): Promise<void> {
  const engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
  await engine.query('SELECT 1', {});
  await engine.close();
  process.stdout.write('closed\n');
}
void main();
