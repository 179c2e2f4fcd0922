import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataEngine } from '../../src/data/engine/engineClient';
import { driftMarkdown } from '../../src/monitoring/driftReport';
import { detectDrift, detectFileDrift } from '../../src/monitoring/driftScan';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { readRotatedLog, rotatedLogFiles } from '../../src/monitoring/rotatedLog';
import { REQUEST_LOG_TEXT } from '../../src/serving/requestLogText';

// Drift on a served app's request log that rotated: the log written by the app's own Python text
// (requestLogText.ts) with a small cap (MODEL_REQUEST_LOG_BYTES), so the live file holds a few rows
// and the old ones sit in requests.jsonl.1 … .5; the current side must be all of them, oldest first,
// read in place (no copy), and read again when the log rotates during the read.

const PYTHON = '/usr/bin/python3';
const DRIVE = `
for i in range(int(os.environ["ROWS"])):
    log_requests([{"age": float(i % 50), "plan": ["a", "b", "c"][i % 3]}], [i % 2], 1.0)
`;

describe('Drift on a rotated request log', function () {
  this.timeout(120_000);
  let dir: string;
  let engine: DataEngine;
  const signal = new AbortController().signal;
  const joinedDirs = (): number => readdirSync(tmpdir()).filter((n) => n.startsWith('mle-drift-log-')).length;
  const lines = (files: readonly string[]): number => files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0);
  const writeLog = (app: string, rows: number, bytes: number, files = 5): string => {
    const log = join(app, 'logs', 'requests.jsonl');
    mkdirSync(join(app, 'logs'), { recursive: true });
    writeFileSync(join(app, 'app.py'), `import os\n${REQUEST_LOG_TEXT}\n${DRIVE}`);
    execFileSync(PYTHON, [join(app, 'app.py')], { env: { ...process.env, MODEL_REQUEST_LOG: log, MODEL_REQUEST_LOG_BYTES: String(bytes), MODEL_REQUEST_LOG_FILES: String(files), ROWS: String(rows) } });
    return log;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-drift-rot-'));
    engine = new DataEngine({ memoryLimitMb: 256, threads: 1 });
    writeFileSync(join(dir, 'ref.csv'), 'age,plan\n' + Array.from({ length: 300 }, (_, i) => `${i % 50},${'abc'[i % 3]}`).join('\n') + '\n');
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads requests.jsonl with its rotated files, oldest first, and says how many files', async () => {
    const log = writeLog(join(dir, 'app'), 600, 3000);
    const files = rotatedLogFiles(log);
    assert.deepEqual(files.map((f) => f.slice(log.length)), ['.5', '.4', '.3', '.2', '.1', ''], 'the log rotated five times');
    const all = lines(files);
    assert.ok(lines([log]) < all / 4, `the live file holds a part of the rows (${lines([log])} of ${all})`);
    // Oldest first: the rows' order across the files is the order they were logged in.
    const ages = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { age: number }).age));
    assert.ok(ages.every((a, i) => i === 0 || a === (ages[i - 1]! + 1) % 50), 'rows in logging order');
    const before = joinedDirs();
    const result = await detectFileDrift(engine, join(dir, 'ref.csv'), log, {}, signal);
    assert.equal(result.currentRows, all);
    assert.equal(result.currentFiles, 6);
    assert.equal(result.current, 'requests.jsonl');
    assert.match(driftMarkdown(result), new RegExp(`current ${all} rows \\(the request log and its 5 rotated files: 6 files\\)`));
    assert.deepEqual(result.columns.map((c) => c.column).sort(), ['age', 'plan']);
    assert.equal(joinedDirs(), before, 'nothing copied');
  });

  it('a rotation during the read: read again from the files as they are then, no row skipped or repeated', async () => {
    const app = join(dir, 'busy');
    const log = writeLog(app, 200, 3000, 20);
    const reads: number[] = [];
    const { result, files } = await readRotatedLog(log, async (list) => {
      // The first read is overtaken: the app logs on and rotates, renaming every file under it.
      if (reads.length === 0) writeLog(app, 200, 3000, 20);
      reads.push(list.length);
      return detectDrift(new FileDatasetSource(join(dir, 'ref.csv'), engine), { log: list, source: new FileDatasetSource(log, engine) }, {}, signal);
    });
    const now = rotatedLogFiles(log);
    assert.equal(reads.length, 2, 'read twice');
    assert.ok(reads[0]! < reads[1]!, `more files the second time (${reads.join(' then ')})`);
    assert.equal(files, now.length);
    assert.equal(result.currentRows, lines(now), 'the rows of the files as they are after the rotation');
    assert.equal(lines(now), 400);
  });

  it('a log that rotates during every read: after 3 reads the last is taken and marked, or its error said', async () => {
    const app = join(dir, 'restless');
    const log = writeLog(app, 100, 3000, 20);
    let reads = 0;
    const { result, files, unstable } = await readRotatedLog(log, (list) => {
      reads++;
      writeLog(app, 100, 3000, 20);
      return Promise.resolve(list.length);
    });
    assert.deepEqual([reads, unstable, files === result], [3, true, true]);
    // detectFileDrift turns `unstable` into the report's note; a quiet log is not marked.
    const quiet = await readRotatedLog(log, (list) => Promise.resolve(list.length));
    assert.equal(quiet.unstable, undefined);
    reads = 0;
    await assert.rejects(
      readRotatedLog(log, () => {
        reads++;
        writeLog(app, 100, 3000, 20);
        return Promise.reject(new Error('No files found that match the pattern'));
      }),
      /^UserError: The request log rotated during each of 3 reads, the last failing \(No files found that match the pattern\): try again/,
    );
    assert.equal(reads, 3);
  });

  it('a log that has not rotated is read in place, and says nothing of files', async () => {
    const log = writeLog(join(dir, 'quiet'), 50, 20 * 1024 * 1024);
    assert.deepEqual(rotatedLogFiles(log), [log]);
    const result = await detectFileDrift(engine, join(dir, 'ref.csv'), log, {}, signal);
    assert.equal(result.currentRows, 50);
    assert.equal(result.currentFiles, undefined);
    assert.doesNotMatch(driftMarkdown(result), /rotated/);
  });
});
