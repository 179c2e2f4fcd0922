import { pythonString } from '../models/deploy/pythonText';

/**
 * The part every app Serve Locally writes shares (scikit-learn, PyTorch): the FastAPI app with the
 * body limit and the request log (load tests' rows marked, flushed at shutdown), the request shape,
 * and /health. Each app adds its own /metadata and /predict after it.
 */
export function fastapiAppHead(title: string): string {
  return `app = FastAPI(title=${pythonString(title)})
app.add_middleware(LimitRequestBody, max_bytes=MAX_REQUEST_BYTES)
attach_request_log(app)


class PredictRequest(BaseModel):
    instances: List[Union[Dict[str, Any], List[Any]]]


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}
`;
}
