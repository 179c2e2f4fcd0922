import { EMPTY_VIEW } from '../src/data/datasetSource';
import { DataEngine } from '../src/data/engine/engineClient';
import { FileDatasetSource } from '../src/data/engine/fileDatasetSource';
const signal = new AbortController().signal;
async function main() {
  const e = new DataEngine({ memoryLimitMb: 2048, tempDir: '/tmp/ds-bench' });
  await e.query('SELECT 1', {});
  const s = new FileDatasetSource('/tmp/ds-bench/rows.csv', e);
  let t = performance.now();
  const info = await s.info(EMPTY_VIEW, signal);
  console.log('table', Math.round(performance.now() - t));
  for (const c of info.columns) {
    t = performance.now();
    await s.summarize(c.name, EMPTY_VIEW, signal);
    console.log(c.name, c.kind, Math.round(performance.now() - t));
  }
  await e.close();
}
void main();
