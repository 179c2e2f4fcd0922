import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// What load_test measured, kept beside the app's request log (logs/load_tests.jsonl in the app
// folder), one JSON line per test, for write_model_card: a scikit-learn pickle has no ONNX benchmark,
// so its card cites the latest load test of a server that served that very file. A file, not the
// toolset's memory: the card is often written later, by another surface (the CLI, the editor's
// command, a new chat) or after the server stopped. The model is named by the SHA-256 of the files in
// the app's model/ folder (the copy serve_locally served), so a load test of an older version of the
// file is never cited for a newer one.

export const LOAD_TEST_RECORD = join('logs', 'load_tests.jsonl');
/** Records kept per app: older lines are dropped when the file is rewritten. */
const KEEP = 50;
/** Files hashed per app's model/ folder, at most (a model is one file, or a few shards). */
const MAX_MODEL_FILES = 20;

export interface ModelFileVersion {
  /** Relative to the app folder, e.g. "model/churn.joblib". */
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface LoadTestRecord {
  /** When the test ended (ISO time): the record's name in a card's footnote. */
  readonly at: string;
  readonly server: string;
  readonly url: string;
  readonly models: readonly ModelFileVersion[];
  /** load_test's answer as it returned it: the lines a card quotes. */
  readonly text: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** The versions of the files an app serves from its model/ folder (none when it has none). */
export async function servedModelFiles(appDir: string): Promise<ModelFileVersion[]> {
  const dir = join(appDir, 'model');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const files = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort().slice(0, MAX_MODEL_FILES);
  return Promise.all(files.map(async (name) => ({ file: `model/${name}`, sha256: await sha256File(join(dir, name)), bytes: statSync(join(dir, name)).size })));
}

export async function appendLoadTestRecord(appDir: string, record: LoadTestRecord): Promise<string> {
  const path = join(appDir, LOAD_TEST_RECORD);
  const old = await readRecords(path);
  if (old.length >= KEEP) await writeFile(path, [...old.slice(-(KEEP - 1)), record].map((r) => JSON.stringify(r)).join('\n') + '\n');
  else await appendFile(path, JSON.stringify(record) + '\n');
  return path;
}

export async function readRecords(path: string): Promise<LoadTestRecord[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      const r = JSON.parse(line) as Partial<LoadTestRecord>;
      return typeof r.at === 'string' && typeof r.text === 'string' && Array.isArray(r.models) ? [r as LoadTestRecord] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The latest load test of a server that served `model` as it is now (same SHA-256), looked for in
 * the app folders under each root's deploy/ (where serve_locally writes them), with its app folder.
 */
export async function latestLoadTestOf(model: string, roots: readonly string[]): Promise<{ appDir: string; record: LoadTestRecord } | undefined> {
  const apps = roots.flatMap((root) => {
    const deploy = join(root, 'deploy');
    if (!existsSync(deploy)) return [];
    return readdirSync(deploy, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(deploy, e.name, LOAD_TEST_RECORD))).map((e) => join(deploy, e.name));
  });
  if (apps.length === 0) return undefined;
  const sha = await sha256File(model);
  let best: { appDir: string; record: LoadTestRecord } | undefined;
  for (const appDir of apps) {
    for (const record of await readRecords(join(appDir, LOAD_TEST_RECORD))) {
      if (record.models.some((m) => m.sha256 === sha) && (!best || record.at > best.record.at)) best = { appDir, record };
    }
  }
  return best;
}
