import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUEST_LOG_TEXT } from '../../src/serving/requestLogText';

// The request log's Python text run by Debian's python3, as every generated app runs it: a request
// only queues its rows (a file whose every write takes 50 ms costs it nothing), and every row
// reaches the file, whole and in order, by a clean exit, across rotations.

const PYTHON = '/usr/bin/python3';

/** Runs the log text, then `body`; writes to files named requests.jsonl* take `writeMs` each. */
function runLog(dir: string, body: string, env: Record<string, string>, writeMs = 0): { stdout: string } {
  const script = join(dir, 'app.py');
  writeFileSync(
    script,
    `import builtins, json, os, time
_real_open = builtins.open
class _SlowFile:
    def __init__(self, f):
        self._f = f
    def write(self, text):
        time.sleep(${writeMs / 1000})
        return self._f.write(text)
    def __getattr__(self, name):
        return getattr(self._f, name)
def _open(file, *args, **kwargs):
    f = _real_open(file, *args, **kwargs)
    return _SlowFile(f) if os.path.basename(str(file)).startswith("requests.jsonl") else f
builtins.open = _open
${REQUEST_LOG_TEXT}
${body}
`,
  );
  const result = spawnSync(PYTHON, [script], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return { stdout: result.stdout };
}

const lines = (path: string): Record<string, unknown>[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('The request log the served apps write', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-request-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a request queues its rows and waits for no write; all are in the file after a clean exit', () => {
    const log = join(dir, 'logs', 'requests.jsonl');
    const { stdout } = runLog(
      dir,
      `started = time.perf_counter()
for i in range(20):
    log_requests([{"a": i, "b": "x", "__private": 1}], [i * 2], 1.5)
print(json.dumps({"ms": (time.perf_counter() - started) * 1000}))`,
      { MODEL_REQUEST_LOG: log },
      50,
    );
    // Written in the request, 20 rows at 50 ms a write took over 1000 ms.
    const { ms } = JSON.parse(stdout) as { ms: number };
    assert.ok(ms < 300, `20 requests spent ${ms.toFixed(0)} ms on the log`);
    const written = lines(log);
    assert.equal(written.length, 20, 'every queued row is written at exit');
    assert.deepEqual(written.map((r) => r.a), Array.from({ length: 20 }, (_, i) => i));
    assert.deepEqual({ ...written[3], __ts: 0 }, { a: 3, b: 'x', __ts: 0, __latency_ms: 1.5, __prediction: 6, __source: 'request' });
  });

  it('rows queued just before a SIGTERM are written at the app\'s shutdown, though the process dies by the signal (uvicorn 0.29+)', () => {
    // uvicorn 0.29+ shuts the app down (lifespan), then raises SIGTERM again with the default
    // handler: the process dies without atexit. Debian's uvicorn 0.17 does not, so its steps are
    // played here on a real FastAPI app: lifespan, rows queued inside it, then the signal.
    const log = join(dir, 'logs', 'requests.jsonl');
    const script = join(dir, 'app.py');
    writeFileSync(script, `import os
${REQUEST_LOG_TEXT}
import asyncio, signal
from fastapi import FastAPI
app = FastAPI()
attach_request_log(app)
async def main():
    async with app.router.lifespan_context(app):
        for i in range(5):
            log_requests([{"a": i}], [0], 1.0)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGTERM)
asyncio.run(main())
`);
    const result = spawnSync(PYTHON, [script], { encoding: 'utf8', env: { ...process.env, MODEL_REQUEST_LOG: log }, timeout: 60_000 });
    assert.equal(result.signal, 'SIGTERM', `the process ends by the signal, as under uvicorn 0.29+: ${result.stderr}`);
    assert.deepEqual(existsSync(log) ? lines(log).map((r) => r.a) : [], [0, 1, 2, 3, 4], 'the rows queued in the last 0.2 s are in the file');
  });

  it('rotates at MODEL_REQUEST_LOG_BYTES with whole lines in order, keeping MODEL_REQUEST_LOG_FILES old files', () => {
    const log = join(dir, 'requests.jsonl');
    runLog(dir, `for i in range(60):
    log_requests([{"i": i, "pad": "p" * 20}], [0], 1.0)
    if i % 7 == 0:
        time.sleep(0.25)`, { MODEL_REQUEST_LOG: log, MODEL_REQUEST_LOG_BYTES: '600', MODEL_REQUEST_LOG_FILES: '3' });
    assert.ok(!existsSync(`${log}.4`), 'at most MODEL_REQUEST_LOG_FILES old files');
    const files = [`${log}.3`, `${log}.2`, `${log}.1`, log];
    for (const f of files) assert.ok(readFileSync(f).length <= 600, `${f} is over 600 bytes`);
    // Oldest file first: the rows kept are the newest, consecutive, the last one last.
    const kept = files.flatMap((f) => lines(f).map((r) => r.i as number));
    assert.equal(kept.at(-1), 59);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, k) => 60 - kept.length + k));
  });

  it('rows reach the file while the app runs, within the flush interval', () => {
    const log = join(dir, 'requests.jsonl');
    const { stdout } = runLog(dir, `log_requests([{"a": 1}], [1], 1.0)
time.sleep(1.0)
print(json.dumps({"lines": len(open(REQUEST_LOG).read().splitlines())}))`, { MODEL_REQUEST_LOG: log });
    assert.deepEqual(JSON.parse(stdout), { lines: 1 });
  });
});
