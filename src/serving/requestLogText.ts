import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

// The request log a served app writes (Python text, after `import os`): one JSON line per predicted
// row with its features, its prediction (`__prediction`), the request's latency (`__latency_ms`) and
// time (`__ts`), rotated by size (as logging's RotatingFileHandler rotates: MODEL_REQUEST_LOG_BYTES per
// file, MODEL_REQUEST_LOG_FILES old files kept). Drift reads it as the current data: its feature
// columns share the training data's names, and the `__` columns are not in the reference, so they
// are left out of the comparison without a rule of their own. MODEL_REQUEST_LOG=off turns it off.
// A request only queues its rows: one thread serialises them and writes them in batches (whole
// lines, one write and one flush a batch, every REQUEST_LOG_FLUSH_SECONDS), and what is queued is
// written when the server shuts down (attach_request_log(app), after the app is made) or
// at a clean exit. Written in the request (JSON, the rollover check, a write and a flush a
// line through logging) the log added 0.7 ms to a request's p50 (request_log_overhead_ms).
// Each row's `__source` says who sent it: "load_test" where the request's LOAD_TEST_HEADER equals the
// app's LOAD_TEST_KEY_ENV (a random key per served app, made when it starts, kept with its token in
// the secret store, sent only by our load tester; compared in constant time), else "request": a
// client holding the token cannot keep its traffic out of drift with a header, and an app served
// without a key marks nothing. Drift leaves load-test rows out (driftScan.ts). Every row carries it
// because DuckDB types a JSON lines file from its first rows: a key seen only later is dropped.

export const REQUEST_LOG_FILE = 'logs/requests.jsonl';

/** The header our load tester sends, so the app logs those rows as the load test's, not traffic. */
export const LOAD_TEST_HEADER = 'X-ML-Engineer-Load-Test';
/** The environment variable holding the served app's load-test key: the header's value must equal it. */
export const LOAD_TEST_KEY_ENV = 'MODEL_LOAD_TEST_KEY';
/** The row's field naming who sent the request, and its value for a load test's rows. */
export const REQUEST_SOURCE_FIELD = '__source';
export const LOAD_TEST_SOURCE = 'load_test';

/** How often the log's thread writes what requests queued (seconds): a row reaches the file this late at most. */
export const REQUEST_LOG_FLUSH_SECONDS = 0.2;

export const REQUEST_LOG_TEXT = `# Request log (ML Engineer): features, prediction and latency per row as JSON lines, rotated by size.
import atexit as _atexit
import contextlib as _contextlib
import contextvars as _contextvars
import hmac as _hmac
import json as _json
import logging.handlers
import queue as _queue
import threading as _threading
import time

REQUEST_LOG = os.environ.get("MODEL_REQUEST_LOG", os.path.join(os.path.dirname(os.path.abspath(__file__)), ${JSON.stringify(REQUEST_LOG_FILE)}))
REQUEST_LOG_BYTES = int(os.environ.get("MODEL_REQUEST_LOG_BYTES", str(20 * 1024 * 1024)))
REQUEST_LOG_FILES = int(os.environ.get("MODEL_REQUEST_LOG_FILES", "5"))
_LOAD_TEST_HEADER = ${JSON.stringify(LOAD_TEST_HEADER.toLowerCase())}.encode()
# The load tester's key for this run of the app (ML Engineer makes one per served app); none: no row is a load test's.
_LOAD_TEST_KEY = os.environ.get(${JSON.stringify(LOAD_TEST_KEY_ENV)}, "").encode()
# Who sent the request being answered: set by _MarkLoadTests, read where the rows are queued.
_request_source = _contextvars.ContextVar("request_source", default="request")


class _RequestLog:
    """Rows that requests queue, written as JSON lines by one thread in batches, rotated as
    RotatingFileHandler rotates (a file holds whole lines, up to maxBytes). close() writes the
    rest; it runs at exit."""

    def __init__(self, handler):
        self._handler = handler
        self._queue = _queue.SimpleQueue()
        self._lock = _threading.Lock()
        self._thread = None
        self._pid = None
        _atexit.register(self.close)

    def put(self, record):
        # Started by a process's first row: a forked worker gets its own thread.
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._thread = _threading.Thread(target=self._run, name="request-log", daemon=True)
                    self._thread.start()
                    self._pid = os.getpid()
        self._queue.put(record)

    def close(self):
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(10)

    def _run(self):
        while True:
            batch = [self._queue.get()]
            if batch[0] is not None:
                time.sleep(${REQUEST_LOG_FLUSH_SECONDS})
            while batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except _queue.Empty:
                    break
            try:
                self._write([record for record in batch if record is not None])
            except Exception as error:  # a full disk ends no thread: later rows are still tried
                logging.getLogger("uvicorn.error").warning("request log: %d rows not written (%s)", len(batch), error)
            if batch[-1] is None:
                return

    def _write(self, records):
        handler = self._handler
        if handler.stream is None:
            handler.stream = handler._open()
        chunk = []
        size = handler.stream.tell()
        for record in records:
            line = _json.dumps(record, default=str) + "\\n"
            length = len(line.encode("utf-8"))
            if handler.maxBytes > 0 and size > 0 and size + length > handler.maxBytes:
                handler.stream.write("".join(chunk))
                chunk = []
                handler.doRollover()
                size = 0
            chunk.append(line)
            size += length
        handler.stream.write("".join(chunk))
        handler.stream.flush()


_request_log = None
if REQUEST_LOG.strip().lower() not in ("", "off", "0", "false", "no"):
    try:
        os.makedirs(os.path.dirname(os.path.abspath(REQUEST_LOG)), exist_ok=True)
        _request_log = _RequestLog(logging.handlers.RotatingFileHandler(REQUEST_LOG, maxBytes=REQUEST_LOG_BYTES, backupCount=REQUEST_LOG_FILES, encoding="utf-8"))
    except OSError as _error:
        logging.getLogger("uvicorn.error").warning("request log off: %s cannot be written (%s)", REQUEST_LOG, _error.strerror)


def log_requests(rows, predictions, latency_ms):
    """Queues one line per row: its features, its prediction, the request's latency in ms, who sent it."""
    if _request_log is None:
        return
    ts = round(time.time(), 3)
    source = _request_source.get()
    for row, prediction in zip(rows, predictions):
        record = {str(k): v for k, v in row.items() if not str(k).startswith("__")}
        record["__ts"] = ts
        record["__latency_ms"] = round(latency_ms, 3)
        record["__prediction"] = prediction
        record[${JSON.stringify(REQUEST_SOURCE_FIELD)}] = source
        _request_log.put(record)


class _MarkLoadTests:
    """ASGI middleware: a request whose load-test header holds the app's key has its rows logged as
    the load test's; a wrong or missing key is traffic. compare_digest: no timing says how much of a
    guess was right."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and any(name == _LOAD_TEST_HEADER and _hmac.compare_digest(value, _LOAD_TEST_KEY) for name, value in scope["headers"]):
            token = _request_source.set(${JSON.stringify(LOAD_TEST_SOURCE)})
            try:
                await self.app(scope, receive, send)
            finally:
                _request_source.reset(token)
        else:
            await self.app(scope, receive, send)


def attach_request_log(app):
    """Marks load-test requests' rows, and writes what is queued when the server shuts down. atexit
    is not enough: uvicorn 0.29+ ends the process on SIGTERM by raising it again with the default
    handler after shutdown."""
    if _request_log is None:
        return
    if _LOAD_TEST_KEY:
        app.add_middleware(_MarkLoadTests)
    inner = app.router.lifespan_context

    @_contextlib.asynccontextmanager
    async def lifespan(a):
        try:
            async with inner(a) as state:
                yield state
        finally:
            _request_log.close()

    app.router.lifespan_context = lifespan
`;

/**
 * Whether an app's source is ours from before load-test keys: its middleware took any request with
 * LOAD_TEST_HEADER as the load test's, so a client holding the token could keep its rows out of
 * drift. Recognised by our request log's first line and the old middleware without the key.
 */
export function marksLoadTestsWithoutKey(appSource: string): boolean {
  return appSource.includes(REQUEST_LOG_TEXT.slice(0, REQUEST_LOG_TEXT.indexOf('\n'))) && appSource.includes('class _MarkLoadTests') && !appSource.includes('_LOAD_TEST_KEY');
}

/**
 * What to tell the user when a served folder's app is such an older app of ours (else undefined).
 * The app is written once and never rewritten behind the user's back: they delete the folder and
 * serve the model again, which writes this version's app after asking.
 */
export function olderAppWarning(appDir: string, module: string): string | undefined {
  const file = `${join(appDir, ...module.split('.'))}.py`;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (!marksLoadTestsWithoutKey(source)) return undefined;
  return `${basename(file)} in ${basename(appDir)} was written by an earlier ML Engineer: it logs any request carrying ${LOAD_TEST_HEADER} as a load test, whatever the header's value, so a client holding the token can keep its requests out of drift. To get an app that checks the load tester's key, delete this folder and run Serve Locally on the model file again (it asks before writing).`;
}
