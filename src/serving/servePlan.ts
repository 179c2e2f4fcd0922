import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { ModelInfo } from '../models/modelInfo';
import { planDeployment, type DeployPlan } from '../models/deploy/deployPlan';
import { tritonModelName } from '../models/deploy/tritonConfig';
import { SKLEARN_SERVE_REQUIREMENTS, sklearnServeApp } from './sklearnServeApp';

// Serve Locally on a model file writes a FastAPI app first (an ONNX model: Deploy's own FastAPI
// scaffold; a scikit-learn pickle or joblib: sklearnServeApp), planned without touching the disk so
// the command can show it and ask. On a folder, the folder's app.py is served as it is.

/** The app module a folder serves, or undefined when it holds no FastAPI app we know. */
export function servableApp(dir: string): { appDir: string; module: string } | undefined {
  for (const module of ['app', 'main', 'service']) {
    if (existsSync(join(dir, `${module}.py`))) return { appDir: dir, module };
  }
  return undefined;
}

/** Where a model's app goes by default: deploy/<name>-fastapi under the workspace root (Deploy's place). */
export function defaultAppDir(root: string, modelPath: string): string {
  return join(root, 'deploy', `${tritonModelName(basename(modelPath))}-fastapi`);
}

export function planServeApp(info: ModelInfo, modelPath: string): DeployPlan {
  if (info.format === 'onnx') return planDeployment(info, modelPath, 'fastapi');
  if (info.format === 'sklearn') {
    const name = tritonModelName(basename(modelPath));
    return {
      target: 'fastapi',
      name,
      files: [
        { path: 'app.py', content: sklearnServeApp(basename(modelPath), name) },
        { path: 'requirements.txt', content: SKLEARN_SERVE_REQUIREMENTS },
      ],
      copies: [{ from: modelPath, to: `model/${basename(modelPath)}` }],
      notes: [...(info.warnings ?? [])],
    };
  }
  throw new Error(`Serve Locally serves ONNX models and scikit-learn pickles; ${basename(modelPath)} is ${info.format}. Export it to ONNX first (in ${basename(dirname(modelPath))}).`);
}
