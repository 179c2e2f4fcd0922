import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeMlflowSqlite, type FakeRun } from './trackingFixtures';

// Writes test/fixtures/tracking/: MLflow SQLite databases made by real SQLite (Python's sqlite3)
// from MLflow's own schema, small pages so a few hundred rows span interior and overflow pages.
// The fuzz tests mutate them; they need no Python themselves. Run: npx tsx test/support/writeTrackingFixtures.ts

const out = join(__dirname, '..', 'fixtures', 'tracking');
mkdirSync(out, { recursive: true });
const hex = (c: string): string => c.repeat(32);
const runs: (FakeRun & { experiment: string })[] = [
  {
    id: hex('a'),
    name: 'baseline',
    experiment: 'mnist',
    params: { lr: '0.01', optimizer: 'sgd', notes: 'a long value that needs overflow pages: ' + 'x'.repeat(3000) },
    tags: { 'mlflow.source.name': 'train.py' },
    metrics: { loss: Array.from({ length: 120 }, (_, i) => 2 / (i + 1)), acc: Array.from({ length: 120 }, (_, i) => i / 120) },
  },
  { id: hex('b'), name: 'diverged', experiment: 'mnist', status: 4, params: { lr: '1.0' }, metrics: { loss: [1, 5, NaN] } },
  { id: hex('c'), name: 'live', experiment: 'cifar', status: 1, metrics: { loss: [2, 1.5] } },
];
for (const name of ['mlflow.db', 'mlflow-wal.db', 'mlflow-wal.db-wal']) rmSync(join(out, name), { force: true });
writeMlflowSqlite(join(out, 'mlflow.db'), runs, { pageSize: 1024 });
writeMlflowSqlite(join(out, 'mlflow-wal.db'), runs, { pageSize: 1024, wal: true });
rmSync(join(out, 'mlflow-wal.db-shm'), { force: true });
