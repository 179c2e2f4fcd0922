// What a generated FastAPI app (Deploy's app.py, the code action's serve_<model>.py) needs before it
// faces a network: a request body limit (uvicorn has none; a 2 GB JSON body would be parsed), an
// optional bearer token (MODEL_API_TOKEN), and runtime errors logged on the server under an id that
// the client gets instead of the message (onnxruntime's messages name files and internals).
// Python text that needs `os` imported before it; tested by running the app (test/integration/fastapiServe.test.ts).

export const FASTAPI_GUARDS = `# Guards (ML Engineer): a request body limit, an optional bearer token, errors kept in the server log.
import hmac
import logging
import uuid

from fastapi import Header, HTTPException
from fastapi.responses import JSONResponse

# Set MODEL_API_TOKEN to require "Authorization: Bearer <token>" on the model's endpoints.
API_TOKEN = os.environ.get("MODEL_API_TOKEN", "")
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(16 * 1024 * 1024)))
log = logging.getLogger("uvicorn.error")


class LimitRequestBody:
    """Answers 413 to a body over MAX_REQUEST_BYTES, whether it says its length or streams in chunks."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = "the request body is over %d bytes (MAX_REQUEST_BYTES)" % self.max_bytes
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            return await JSONResponse({"detail": too_large}, status_code=413)(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(status_code=413, detail=too_large)
            return message

        await self.app(scope, limited_receive, send)


def require_token(authorization: str = Header(default="")) -> None:
    if not API_TOKEN:
        return
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), API_TOKEN.encode()):
        raise HTTPException(status_code=401, detail="a valid bearer token is needed", headers={"WWW-Authenticate": "Bearer"})


def inference_failed(error: Exception) -> HTTPException:
    """Call in an except block: the traceback goes to the server log under an id; the client gets the id only."""
    error_id = uuid.uuid4().hex[:12]
    log.exception("inference failed [%s]", error_id)
    # onnxruntime raises InvalidArgument for inputs of the wrong shape or type: the client's mistake.
    if type(error).__name__ == "InvalidArgument":
        return HTTPException(status_code=400, detail={"error": "the model could not run on these inputs: check their shapes and dtypes", "error_id": error_id})
    return HTTPException(status_code=500, detail={"error": "inference failed", "error_id": error_id})
`;
