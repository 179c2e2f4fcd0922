import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalModelServer } from './localServer';
import { sklearnSampleRequest } from './sklearnServeApp';

// The request Serve Locally sends first and a load test repeats: the app folder's
// sample_request.json (Deploy's ONNX app writes one from the model's inputs), else, for the
// scikit-learn app, one row of zeros under the feature names its GET /metadata gives.

export async function sampleBody(server: LocalModelServer): Promise<string | undefined> {
  const file = join(server.options.appDir, 'sample_request.json');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const meta = await server.call('/metadata').catch(() => undefined);
  if (meta?.status !== 200) return undefined;
  try {
    const features = (JSON.parse(meta.body) as { features?: unknown }).features;
    return Array.isArray(features) ? sklearnSampleRequest(features.map(String), features.length) : undefined;
  } catch {
    return undefined;
  }
}
