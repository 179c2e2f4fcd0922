// The request log a served app writes (Python text, after `import os`): one JSON line per predicted
// row with its features, its prediction (`__prediction`), the request's latency (`__latency_ms`) and
// time (`__ts`), rotated by size (logging's RotatingFileHandler: MODEL_REQUEST_LOG_BYTES per file,
// MODEL_REQUEST_LOG_FILES old files kept). Drift reads it as the current data: its feature columns
// share the training data's names, and the `__` columns are not in the reference, so they are left
// out of the comparison without a rule of their own. MODEL_REQUEST_LOG=off turns it off.

export const REQUEST_LOG_FILE = 'logs/requests.jsonl';

export const REQUEST_LOG_TEXT = `# Request log (ML Engineer): features, prediction and latency per row as JSON lines, rotated by size.
import json as _json
import logging.handlers
import time

REQUEST_LOG = os.environ.get("MODEL_REQUEST_LOG", os.path.join(os.path.dirname(os.path.abspath(__file__)), ${JSON.stringify(REQUEST_LOG_FILE)}))
REQUEST_LOG_BYTES = int(os.environ.get("MODEL_REQUEST_LOG_BYTES", str(20 * 1024 * 1024)))
REQUEST_LOG_FILES = int(os.environ.get("MODEL_REQUEST_LOG_FILES", "5"))
_request_log = None
if REQUEST_LOG.strip().lower() not in ("", "off", "0", "false", "no"):
    try:
        os.makedirs(os.path.dirname(os.path.abspath(REQUEST_LOG)), exist_ok=True)
        _handler = logging.handlers.RotatingFileHandler(REQUEST_LOG, maxBytes=REQUEST_LOG_BYTES, backupCount=REQUEST_LOG_FILES, encoding="utf-8")
        _handler.setFormatter(logging.Formatter("%(message)s"))
        _request_log = logging.getLogger("ml_engineer.requests")
        _request_log.propagate = False
        _request_log.setLevel(logging.INFO)
        _request_log.addHandler(_handler)
    except OSError as _error:
        logging.getLogger("uvicorn.error").warning("request log off: %s cannot be written (%s)", REQUEST_LOG, _error.strerror)


def log_requests(rows, predictions, latency_ms):
    """One line per row: its features, its prediction, the request's latency in ms."""
    if _request_log is None:
        return
    ts = round(time.time(), 3)
    for row, prediction in zip(rows, predictions):
        record = {str(k): v for k, v in row.items() if not str(k).startswith("__")}
        record["__ts"] = ts
        record["__latency_ms"] = round(latency_ms, 3)
        record["__prediction"] = prediction
        _request_log.info(_json.dumps(record, default=str))
`;
